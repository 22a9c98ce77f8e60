import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InputError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { Materializer } from '../materialize/materializer.js';
import { toProblem } from '../../core/http/to-problem.js';
import { parseTimestamp } from '../push/push-row.js';

const Time = Type.String({ minLength: 10, maxLength: 40, description: 'ISO-8601 time, e.g. 2001-03-01T00:00:00Z' });

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = parseTimestamp(value);
  if (ms === undefined) throw new InputError('FALAJ_BAD_REQUEST', `${name} "${value}" is not an ISO-8601 time`);
  return new Date(ms);
}

/**
 * `POST …/materialize`: loads the online store and streams progress as NDJSON lines
 * (`view-start`, `progress`, `view-done`, `view-skipped`, then `done` or `error`), so the
 * CLI can draw a progress bar over a long run.
 */
export const materializeRoutes: FastifyPluginAsyncTypebox<{ materializer: Materializer }> = async (app, { materializer }) => {
  app.post('/api/v1/projects/:project/materialize', {
    config: { permission: 'materialize:run' },
    schema: {
      tags: ['features'],
      summary: 'Materialize online views (explicit window, or incremental from watermarks); NDJSON progress',
      params: ProjectParams,
      body: StrictObject({
        start: Type.Optional(Time),
        end: Type.Optional(Time),
        views: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 1000 })),
        incremental: Type.Boolean({ default: false }),
      }),
      response: { 200: Type.String({ description: 'application/x-ndjson progress events' }), ...problemResponses(404, 409, 422) },
    },
  }, async (request, reply) => {
    const ctx = contextOf(request);
    const body = request.body;
    const job = {
      start: parseTime(body.start, 'start'),
      end: parseTime(body.end, 'end') ?? new Date(),
      views: body.views,
      incremental: body.incremental,
    };
    // a bad request is a 4xx before the stream starts, not a 200 with an error line
    await materializer.prepare(request.params.project, job);
    const out = new PassThrough();
    const line = (event: object) => out.write(JSON.stringify(event) + '\n');
    reply.type('application/x-ndjson');
    materializer
      .run(ctx, request.params.project, job, line)
      .then((summary) => line({ type: 'done', ...summary }))
      .catch((err) => {
        const problem = toProblem(err, request.id, request.url);
        if (problem.status >= 500) request.log.error({ err }, 'materialization failed');
        line({ type: 'error', problem });
      })
      .finally(() => out.end());
    return reply.send(out as unknown as string); // a stream: Fastify pipes it, the schema documents the format
  });
};
