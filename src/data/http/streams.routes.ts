import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { ProjectParams } from '../../security/index.js';
import type { Db } from '../../storage/metadata/index.js';
import type { StreamManager } from '../streaming/stream-manager.js';

const Open = Type.Object({}, { additionalProperties: true });
const SourceParams = StrictObject({ project: ProjectParams.properties.project, source: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }) });

export interface StreamRouteOptions {
  db: Kysely<Db>;
  /** absent on replicas that run no consumers (roles api, serving, worker) */
  streams: StreamManager | undefined;
}

/** Stream ingestion's state: the consumers this replica runs (lag, errors), and each source's dead letters. */
export const streamRoutes: FastifyPluginAsyncTypebox<StreamRouteOptions> = async (app, { db, streams }) => {
  app.get('/api/v1/projects/:project/streams', {
    config: { permission: 'feature:read' },
    schema: {
      tags: ['data'],
      summary: "The project's stream sources as this replica consumes them: broker, subject, group, lag, last error",
      params: ProjectParams,
      response: { 200: Type.Object({ consuming: Type.Boolean(), streams: Type.Array(Open) }), ...problemResponses(404) },
    },
  }, async (request) => ({ consuming: streams !== undefined, streams: streams?.statuses(request.params.project) ?? [] }));

  app.get('/api/v1/projects/:project/sources/:source/dead-letters', {
    config: { permission: 'feature:read' },
    schema: {
      tags: ['data'],
      summary: 'Stream messages a source could not ingest, newest first, with the reason',
      params: SourceParams,
      querystring: StrictObject({ limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }) }),
      response: { 200: Type.Object({ deadLetters: Type.Array(Open) }), ...problemResponses(404) },
    },
  }, async (request) => {
    const rows = await db.selectFrom('stream_dead_letters').selectAll().where('project', '=', request.params.project).where('source', '=', request.params.source)
      .orderBy('received_at', 'desc').orderBy('message_id', 'desc').limit(request.query.limit).execute();
    return { deadLetters: rows.map((r) => ({ messageId: r.message_id, reason: r.reason, payload: r.payload, receivedAt: r.received_at })) };
  });
};
