import { InputError } from '../../core/errors/index.js';
import { parseRunsUri } from '../names.js';

/**
 * Where a new version's files are: a run and a path inside it (`runs:/RUN/PATH`, or
 * `runId` + `artifactPath` as the MLflow client sends them), or nowhere we can read
 * (an external location, recorded as given and left unsigned).
 */
export function versionOrigin(input: { source: string; runId?: string | undefined; artifactPath?: string | undefined }): { runId: string; path: string } | undefined {
  if (!input.source || input.source.length > 4096) throw new InputError('FALAJ_VALIDATION_FAILED', 'source is required (runs:/<run_id>/<path>, or a location), at most 4096 characters');
  const fromUri = parseRunsUri(input.source);
  if (fromUri) {
    if (input.runId && input.runId !== fromUri.runId) throw new InputError('FALAJ_VALIDATION_FAILED', `runId ${input.runId} differs from the run in source ${input.source}`);
    return fromUri;
  }
  if (input.runId && input.artifactPath !== undefined) return { runId: input.runId, path: input.artifactPath.replace(/^\/+|\/+$/g, '') };
  return undefined;
}
