import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FalajConfig } from '../core/config/index.js';
import { loggerOptions } from '../core/logger.js';
import { datasetRoutes, materializeRoutes, onlineRoutes, pushRoutes, registryRoutes } from '../features/index.js';
import { auditRoutes, policyRoutes, projectRoutes, registerAuth, tokenRoutes } from '../security/index.js';
import { runArtifactRoutes, trackingRoutes } from '../tracking/index.js';
import { aliasRoutes, modelRoutes, versionRoutes } from '../registry/index.js';
import { mlflowRoutes } from '../mlflow/index.js';
import { trainingRoutes } from '../training/http/training.routes.js';
import { registerErrorHandling } from './error-handler.js';
import { healthRoutes } from './health.routes.js';
import { registerMetricsHooks } from './metrics.js';
import { deploymentRoutes } from '../serving/http/deployments.routes.js';
import { predictRoutes } from '../serving/http/predict.routes.js';
import { oipRoutes } from '../serving/http/oip.routes.js';
import { ingestionRoutes } from '../data/http/ingestion.routes.js';
import { streamRoutes } from '../data/http/streams.routes.js';
import { lineageRoutes } from '../data/http/lineage.routes.js';
import { lazySerializerFactory, registerValidation } from './validation.js';
import { buildServices, type ServiceOptions, type Services } from './services.js';

export interface BuildAppOptions extends ServiceOptions {
  /** `false` silences logs (tests); a stream receives JSON lines; default stdout */
  logger?: boolean | NodeJS.WritableStream;
}

export interface FalajApp {
  app: FastifyInstance;
  services: Services;
  config: FalajConfig;
  /** stops accepting, drains requests, closes storage */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const VERSION = '0.1.0';

/**
 * The composition root: storage and services from config, then the Fastify app with
 * cross-cutting hooks (request ids, auth, metrics, errors), then each domain's routes.
 * `server.ts` only listens.
 */
export async function buildApp(config: FalajConfig, options: BuildAppOptions = {}): Promise<FalajApp> {
  const services = await buildServices(config, options);
  let shuttingDown = false;
  const app = Fastify({
    ...loggerFor(config, options.logger),
    bodyLimit: config.server.bodyLimitBytes,
    // Accept a caller's request id when it is safe to log; otherwise make one.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // one access line per request from our onResponse hook instead of Fastify's two
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // serializers compile on first use (see validation.ts): a cold start compiles nothing it does not answer
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
    forceCloseConnections: 'idle',
    ...(config.server.tlsCert && config.server.tlsKey ? { https: tlsOptions(config) } : {}),
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>();

  const metrics = services.metrics;
  registerValidation(app);
  registerErrorHandling(app, services.audit);
  // Before auth: a 401 thrown by auth's onRequest hook skips every later onRequest hook,
  // and the caller still needs the id to quote.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerAuth(app, services.authenticator);
  registerMetricsHooks(app, metrics);
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Falaj API', version: VERSION, description: 'Self-hosted ML platform. Errors are RFC 9457 problem details with a stable `code`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Falaj API token (flj_…) or OIDC access token' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(healthRoutes, {
    checks: { metadata: () => services.database.ping(), online: () => services.onlineStore.ping() },
    isShuttingDown: () => shuttingDown,
    metrics,
    openapi: () => app.swagger(),
  });
  const role = config.server.role;
  const runtime = services.serving.runtime;
  // api and all: the whole API; serving: predictions and deployments; worker: health and metrics; ingest: stream status
  if (role === 'all' || role === 'api') {
    await app.register(projectRoutes, { projects: services.projects });
    await app.register(tokenRoutes, { tokens: services.tokens, projects: services.projects });
    await app.register(auditRoutes, { audit: services.audit });
    await app.register(policyRoutes, { policy: services.policy, projects: services.projects });
    await app.register(registryRoutes, { registry: services.registry });
    await app.register(onlineRoutes, { online: services.online });
    await app.register(pushRoutes, { push: services.push });
    await app.register(materializeRoutes, { materializer: services.materializer });
    await app.register(datasetRoutes, { datasets: services.datasets, dataDir: config.dataDir });
    await app.register(trackingRoutes, { tracking: services.tracking });
    await app.register(runArtifactRoutes, { tracking: services.tracking, artifacts: services.artifacts });
    await app.register(modelRoutes, { models: services.models });
    await app.register(versionRoutes, { models: services.models });
    await app.register(aliasRoutes, { aliases: services.modelAliases });
    await app.register(mlflowRoutes, { tracking: services.tracking, registry: services.models, aliases: services.modelAliases, artifacts: services.artifacts, audit: services.audit });
    await app.register(trainingRoutes, { training: services.training.service, artifacts: services.artifacts, dataDir: config.dataDir, render: services.training.render });
    await app.register(ingestionRoutes, { ingestions: services.ingestions, dataDir: config.dataDir });
    await app.register(lineageRoutes, { lineage: services.lineage });
  }
  if (role === 'all' || role === 'api' || role === 'ingest') await app.register(streamRoutes, { db: services.database.db, streams: services.streams });
  if (role === 'all' || role === 'api' || role === 'serving') {
    await app.register(deploymentRoutes, { deployments: services.serving.deployments, controller: services.serving.controller, live: runtime?.live, models: runtime?.models });
  }
  if (runtime) {
    await app.register(predictRoutes, { predictions: runtime.predictions, logDir: runtime.logDir, offline: services.offline });
    await app.register(oipRoutes, { predictions: runtime.predictions, live: runtime.live, isShuttingDown: () => shuttingDown });
  }
  await app.ready();

  return {
    app,
    services,
    config,
    close: async () => {
      shuttingDown = true;
      await app.close();
      await services.training.runner?.close();
      await services.serving.close();
      await services.streams?.close();
      await services.lineage.close();
      await services.onlineStore.close();
      await services.offline.close();
      await services.blobs.close();
      await services.database.close();
    },
  };
}

function loggerFor(config: FalajConfig, logger: BuildAppOptions['logger']): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === false) return { logger: false };
  const options = loggerOptions(config.log.level);
  return { logger: logger && logger !== true ? { ...options, stream: logger } : options };
}

function tlsOptions(config: FalajConfig): Record<string, unknown> {
  const { tlsCert, tlsKey, tlsClientCa } = config.server;
  return {
    cert: readFileSync(tlsCert!),
    key: readFileSync(tlsKey!),
    minVersion: 'TLSv1.2',
    // Mutual TLS: only clients presenting a certificate signed by this CA get through.
    ...(tlsClientCa ? { ca: readFileSync(tlsClientCa), requestCert: true, rejectUnauthorized: true } : {}),
  };
}
