import type { DeploymentSpec } from '../deployments/deployment.schema.js';
import type { DeploymentView } from '../http/deployment-view.js';
import type { PredictRequest, PredictResponse } from '../predict/predict.schema.js';

/**
 * The serving half of the typed SDK (`FalajClient.serving`): deployments, predictions and
 * the prediction log. Type-only imports: loading it loads no server code.
 */
export interface ServingTransport {
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export type { DeploymentSpec, DeploymentView, PredictRequest, PredictResponse };

const enc = encodeURIComponent;
const base = (project: string) => `/api/v1/projects/${enc(project)}/deployments`;

export function servingClient(t: ServingTransport) {
  return {
    /** Creates or updates a deployment; `action` says which (or `unchanged`). */
    apply: (project: string, spec: DeploymentSpec) => t.json<{ action: 'created' | 'updated' | 'unchanged'; deployment: DeploymentView }>('PUT', `${base(project)}/${enc(spec.name)}`, spec),
    list: async (project: string) => (await t.json<{ deployments: DeploymentView[] }>('GET', base(project))).deployments,
    get: (project: string, name: string) => t.json<DeploymentView>('GET', `${base(project)}/${enc(name)}`),
    promote: (project: string, name: string, input: { variant?: string; reason?: string } = {}) => t.json<DeploymentView>('POST', `${base(project)}/${enc(name)}/promote`, input),
    rollback: (project: string, name: string, input: { reason?: string } = {}) => t.json<DeploymentView>('POST', `${base(project)}/${enc(name)}/rollback`, input),
    delete: (project: string, name: string) => t.json<void>('DELETE', `${base(project)}/${enc(name)}`),
    /** Predicts for entity rows; `headers` carry a sticky header when the deployment uses one. */
    predict: (project: string, name: string, request: PredictRequest, headers?: Record<string, string>) =>
      t.json<PredictResponse>('POST', `${base(project)}/${enc(name)}/predict`, request, headers),
    /** Logged predictions, newest first. */
    predictions: async (project: string, name: string, q: { limit?: number; variant?: string; since?: string } = {}) => {
      const params = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`);
      return (await t.json<{ predictions: Record<string, unknown>[] }>('GET', `${base(project)}/${enc(name)}/predictions${params.length ? `?${params.join('&')}` : ''}`)).predictions;
    },
  };
}

export type ServingClient = ReturnType<typeof servingClient>;
