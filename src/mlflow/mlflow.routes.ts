import type { FastifyPluginAsync } from 'fastify';
import type { ArtifactStore, ModelAliases, ModelRegistry } from '../registry/index.js';
import type { AuditLog } from '../security/index.js';
import type { TrackingService } from '../tracking/index.js';
import { mlflowArtifactRoutes } from './artifacts.routes.js';
import { mlflowExperimentRoutes } from './experiments.routes.js';
import { useMlflowErrors } from './mlflow-errors.plugin.js';
import { mlflowModelVersionRoutes } from './model-versions.routes.js';
import { mlflowRegisteredModelRoutes } from './registered-models.routes.js';
import { mlflowRunRoutes } from './runs.routes.js';

export interface MlflowRoutesOptions {
  tracking: TrackingService;
  registry: ModelRegistry;
  aliases: ModelAliases;
  artifacts: ArtifactStore;
  audit: AuditLog;
}

/** Where the stock client sends tracking and registry calls, and proxied artifact calls. */
export const MLFLOW_API_PREFIX = '/api/2.0/mlflow';
export const MLFLOW_ARTIFACTS_PREFIX = '/api/2.0/mlflow-artifacts';

/**
 * The MLflow REST API 2.0 over Falaj's tracking, registry and artifact store, so that
 * `MLFLOW_TRACKING_URI=http://host:port` works with the unmodified MLflow client. Each
 * prefix is its own encapsulated instance with MLflow's error format and not-found
 * answer; the rest of the API keeps problem details. See docs/mlflow-compatibility.md.
 */
export const mlflowRoutes: FastifyPluginAsync<MlflowRoutesOptions> = async (app, options) => {
  const { tracking, registry, aliases, artifacts, audit } = options;
  await app.register(async (api) => {
    useMlflowErrors(api, audit);
    await api.register(mlflowExperimentRoutes, { tracking });
    await api.register(mlflowRunRoutes, { tracking });
    await api.register(mlflowRegisteredModelRoutes, { registry, aliases });
    await api.register(mlflowModelVersionRoutes, { registry, tracking });
  }, { prefix: MLFLOW_API_PREFIX });
  await app.register(async (api) => {
    useMlflowErrors(api, audit);
    await api.register(mlflowArtifactRoutes, { tracking, artifacts });
  }, { prefix: MLFLOW_ARTIFACTS_PREFIX });
};
