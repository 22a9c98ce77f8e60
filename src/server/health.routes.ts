import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnavailableError } from '../core/errors/index.js';
import { ProblemSchema } from '../core/http/problem.schema.js';
import type { Metrics } from './metrics.js';

export interface HealthDeps {
  /** each dependency's readiness probe, by name */
  checks: Record<string, () => Promise<void>>;
  isShuttingDown: () => boolean;
  metrics: Metrics;
  openapi: () => unknown;
}

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthDeps> = async (app, deps) => {
  app.get('/healthz', {
    config: { public: true },
    schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    config: { public: true },
    schema: {
      tags: ['operations'],
      summary: 'Readiness: every storage dependency answers',
      response: { 200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), Type.String()) }), 503: ProblemSchema },
    },
  }, async () => {
    if (deps.isShuttingDown()) throw new UnavailableError('FALAJ_UNAVAILABLE', 'the server is shutting down');
    const checks: Record<string, string> = {};
    for (const [name, probe] of Object.entries(deps.checks)) {
      try {
        await probe();
        checks[name] = 'ok';
      } catch (cause) {
        throw new UnavailableError('FALAJ_UNAVAILABLE', `${name} is not ready: ${(cause as Error).message}`, { cause });
      }
    }
    return { status: 'ready' as const, checks };
  });

  app.get('/metrics', {
    config: { permission: 'metrics:read' },
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)', response: { 200: Type.String() } },
  }, async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));

  app.get('/openapi.json', {
    config: { public: true },
    schema: { tags: ['operations'], summary: 'This API as OpenAPI 3.1', response: { 200: Type.Object({}, { additionalProperties: true }) } },
  }, async () => deps.openapi());
};
