import { InputError } from '../core/errors/index.js';
import type { CreateVersionInput } from '../registry/index.js';
import { parseArtifactLocation } from './artifact-location.js';

/**
 * What a `model-versions/create` source means to the Falaj registry. The stock client
 * sends the run's proxied artifact URI (`mlflow-artifacts:/<exp>/<run>/artifacts/model`,
 * resolved from `runs:/<run>/model` by `register_model`); that names files in a run,
 * which the registry lists, signs and checks, exactly as for `runs:/<run>/model`. Any
 * other source is kept as an external location (unsigned: Falaj holds no files for it).
 */
export function versionOrigin(source: string, runId: string | undefined): Pick<CreateVersionInput, 'source' | 'runId' | 'artifactPath'> {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(source);
  if (proxied) {
    const where = parseArtifactLocation(proxied[1]);
    if (runId && runId !== where.runId) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `run_id ${runId} differs from the run in source ${source}`);
    }
    return { source, runId: where.runId, artifactPath: where.path };
  }
  return { source, ...(runId ? { runId } : {}) };
}
