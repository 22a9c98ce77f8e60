import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { ProjectParams } from '../../security/index.js';
import type { OnlineFeatures } from '../online/online-features.service.js';
import { serializeOnlineFeatures } from '../online/serialize-online.js';

// No maxItems: the row limit is the service's (422 FALAJ_ENTITY_ROWS_INVALID, as for ragged or empty rows); the body limit bounds the parse.
const EntityValues = Type.Record(Type.String({ maxLength: 128 }), Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()])));
const FeatureRefs = Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]*:([a-z][a-z0-9_]*|\\*)$' }), { minItems: 1, maxItems: 2000 });

const Column = (names: { ts: string }) =>
  Type.Object({
    values: Type.Array(Type.Unknown()),
    statuses: Type.Array(Type.String()),
    [names.ts]: Type.Array(Type.String()),
  });

/**
 * Online features: our own route under the project, and Feast's feature-server JSON
 * (`POST /get-online-features`) so Feast clients work unchanged. The Feast route takes
 * the project from `?project=` (default `default`), since Feast clients know only a URL.
 */
export const onlineRoutes: FastifyPluginAsyncTypebox<{ online: OnlineFeatures }> = async (app, { online }) => {
  app.post('/api/v1/projects/:project/features/online', {
    config: { permission: 'feature:read' },
    schema: {
      tags: ['features'],
      summary: 'Online feature values for entity rows (one round trip to the online store)',
      params: ProjectParams,
      body: StrictObject({
        featureService: Type.Optional(Type.String({ maxLength: 63 })),
        features: Type.Optional(FeatureRefs),
        entities: EntityValues,
        fullFeatureNames: Type.Boolean({ default: false }),
      }),
      response: { 200: Type.Object({ featureNames: Type.Array(Type.String()), results: Type.Array(Column({ ts: 'eventTimestamps' })) }), ...problemResponses(404, 422) },
    },
  }, async (request, reply) => reply.type('application/json').send(serializeOnlineFeatures(await online.get(request.params.project, request.body), false) as never)); // already JSON: sent as is

  app.post('/get-online-features', {
    config: { permission: 'feature:read', scope: (request) => (request.query as { project?: string }).project ?? 'default' },
    schema: {
      tags: ['feast-compatible'],
      summary: "Feast feature server: get-online-features (Feast's JSON, column-major results)",
      querystring: StrictObject({ project: Type.String({ default: 'default', pattern: '^[a-z][a-z0-9-]{0,62}$' }) }),
      body: Type.Object({
        feature_service: Type.Optional(Type.String({ maxLength: 63 })),
        features: Type.Optional(FeatureRefs),
        entities: EntityValues,
        full_feature_names: Type.Boolean({ default: false }),
      }),
      response: { 200: Type.Object({ metadata: Type.Object({ feature_names: Type.Array(Type.String()) }), results: Type.Array(Column({ ts: 'event_timestamps' })) }), ...problemResponses(404, 422) },
    },
  }, async (request, reply) => {
    const { feature_service, features, entities, full_feature_names } = request.body;
    const answer = await online.get(request.query.project, { featureService: feature_service, features, entities, fullFeatureNames: full_feature_names });
    return reply.type('application/json').send(serializeOnlineFeatures(answer, true) as never); // already JSON: sent as is
  });
};
