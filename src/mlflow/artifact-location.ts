import { InputError } from '../core/errors/index.js';

/**
 * Where a proxied artifact path points. A run's `artifact_uri` is
 * `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`, which the client resolves to
 * `/api/2.0/mlflow-artifacts/artifacts/<experiment_id>/<run_id>/artifacts/<file>`; the
 * file part is the path inside the run in Falaj's ArtifactStore.
 */
export interface ArtifactLocation {
  experimentId: string;
  runId: string;
  /** the path inside the run; '' for the run's root */
  path: string;
}

const SHAPE = '<experiment_id>/<run_id>/artifacts[/<path>]';

export function parseArtifactLocation(raw: string | undefined): ArtifactLocation {
  const parts = (raw ?? '').split('/');
  // tolerate the trailing slash a directory listing may carry
  while (parts.length > 3 && parts[parts.length - 1] === '') parts.pop();
  const [experimentId, runId, artifacts, ...rest] = parts;
  if (!experimentId || !runId || artifacts !== 'artifacts') {
    throw new InputError('FALAJ_VALIDATION_FAILED', `artifact path "${raw ?? ''}" does not name a run's artifacts: Falaj serves ${SHAPE}, as in a run's artifact_uri`);
  }
  return { experimentId, runId, path: rest.join('/') };
}

const TEXT_TYPES: Record<string, string> = { txt: 'text/plain; charset=utf-8', log: 'text/plain; charset=utf-8', json: 'application/json' };

/**
 * The content type of a download. Only inert types are named; everything else is
 * `application/octet-stream`, so an uploaded HTML or SVG file is never rendered from the
 * API's origin.
 */
export function downloadContentType(path: string): string {
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1).toLowerCase() : '';
  return TEXT_TYPES[ext] ?? 'application/octet-stream';
}
