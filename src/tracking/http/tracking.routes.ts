import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TrackingService } from '../tracking.service.js';
import { experimentRoutes } from './experiments.routes.js';
import { runRoutes } from './runs.routes.js';

/** Experiment tracking under `/api/v1/projects/{project}/experiments…` and `…/runs…`. */
export const trackingRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService }> = async (app, options) => {
  await app.register(experimentRoutes, options);
  await app.register(runRoutes, options);
};
