import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { ProjectParams } from '../../security/index.js';
import { PredictRequest, PredictResponse } from '../predict/predict.schema.js';
import type { PredictionService } from '../predict/prediction.service.js';
import { readPredictions } from '../prediction-log/index.js';
import type { LazyDuckDbEngine } from '../../storage/offline/index.js';

const DeploymentParams = StrictObject({ project: ProjectParams.properties.project, name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) });

export interface PredictRouteOptions {
  predictions: PredictionService;
  /** where the prediction log's Parquet lives (`<dataDir>/offline`) and the engine that reads it */
  logDir: string;
  offline: LazyDuckDbEngine;
}

/**
 * The prediction API for applications: entity keys in, predictions out, features looked
 * up by the server. Calling it needs `deployment:read` (give applications a viewer
 * token). The prediction log of a deployment reads back over HTTP too.
 */
export const predictRoutes: FastifyPluginAsyncTypebox<PredictRouteOptions> = async (app, { predictions, logDir, offline }) => {
  app.post('/api/v1/projects/:project/deployments/:name/predict', {
    config: { permission: 'deployment:read' },
    schema: {
      tags: ['serving'],
      summary: 'Predict for entity rows: features looked up in the online store, the variant chosen by the traffic split',
      params: DeploymentParams,
      body: PredictRequest,
      response: { 200: PredictResponse, ...problemResponses(404, 422, 503) },
    },
  }, async (request) => predictions.predict(request.params.project, request.params.name, request.body, request.headers));

  app.get('/api/v1/projects/:project/deployments/:name/predictions', {
    config: { permission: 'deployment:read' },
    schema: {
      tags: ['serving'],
      summary: 'Logged predictions of a deployment, newest first (written to Parquet every few seconds)',
      params: DeploymentParams,
      querystring: StrictObject({
        limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
        variant: Type.Optional(Type.String({ maxLength: 63 })),
        since: Type.Optional(Type.String({ format: 'date-time' })),
      }),
      response: { 200: Type.Object({ predictions: Type.Array(Type.Object({}, { additionalProperties: true })) }), ...problemResponses(404) },
    },
  }, async (request) => {
    const { project, name } = request.params;
    const rows = await readPredictions(offline, logDir, { project, deployment: name, limit: request.query.limit, ...(request.query.variant ? { variant: request.query.variant } : {}), ...(request.query.since ? { since: new Date(request.query.since) } : {}) });
    return { predictions: rows };
  });
};
