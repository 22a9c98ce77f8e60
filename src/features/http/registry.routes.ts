import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import { OBJECT_KINDS } from '../definitions/spec.schema.js';
import type { FeatureRegistry } from '../registry/feature-registry.service.js';

const TAGS = ['features'];

const DefinitionsBody = StrictObject({
  objects: Type.Array(
    StrictObject({
      spec: Type.Unknown({ description: 'one parsed YAML document: Entity, BatchSource, PushSource, FeatureView or FeatureService' }),
      origin: Type.Optional(Type.String({ maxLength: 500, description: 'where it came from, e.g. features.yaml#2' })),
    }),
    { maxItems: 5000 },
  ),
  prune: Type.Boolean({ default: false, description: 'delete registered objects that are not submitted' }),
});

const PlanSchema = Type.Object({
  project: Type.String(),
  applied: Type.Boolean(),
  items: Type.Array(
    Type.Object({
      kind: Type.String(),
      name: Type.String(),
      action: Type.String(),
      fromVersion: Type.Union([Type.Integer(), Type.Null()]),
      toVersion: Type.Union([Type.Integer(), Type.Null()]),
      changes: Type.Array(Type.String()),
      breaking: Type.Array(Type.String()),
      origin: Type.Optional(Type.String()),
    }),
  ),
  errors: Type.Array(Type.Object({ object: Type.String(), origin: Type.Optional(Type.String()), message: Type.String() })),
});

const Summary = Type.Object({
  kind: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  spec: Type.Record(Type.String(), Type.Unknown()),
});

/** Declarative definitions: plan, apply (with every version kept), list and describe. */
export const registryRoutes: FastifyPluginAsyncTypebox<{ registry: FeatureRegistry }> = async (app, { registry }) => {
  app.post('/api/v1/projects/:project/features/plan', {
    config: { permission: 'feature:read' },
    schema: { tags: TAGS, summary: 'What apply would do, and every validation error (changes nothing)', params: ProjectParams, body: DefinitionsBody, response: { 200: PlanSchema, ...problemResponses(404) } },
  }, async (request) => registry.plan(request.params.project, request.body.objects, request.body.prune));

  app.post('/api/v1/projects/:project/features/apply', {
    config: { permission: 'feature:write' },
    schema: { tags: TAGS, summary: 'Apply definitions (all or nothing); 422 lists every problem', params: ProjectParams, body: DefinitionsBody, response: { 200: PlanSchema, ...problemResponses(404, 422) } },
  }, async (request) => registry.apply(contextOf(request), request.params.project, request.body.objects, request.body.prune));

  app.get('/api/v1/projects/:project/features', {
    config: { permission: 'feature:read' },
    schema: {
      tags: TAGS,
      summary: 'Registered objects (newest versions)',
      params: ProjectParams,
      querystring: StrictObject({ kind: Type.Optional(Type.Union(OBJECT_KINDS.map((k) => Type.Literal(k)))) }),
      response: { 200: Type.Object({ objects: Type.Array(Summary) }), ...problemResponses(404) },
    },
  }, async (request) => ({ objects: await registry.list(request.params.project, request.query.kind) }));

  app.get('/api/v1/projects/:project/features/:kind/:name', {
    config: { permission: 'feature:read' },
    schema: {
      tags: TAGS,
      summary: 'One object with every version',
      params: StrictObject({ project: ProjectParams.properties.project, kind: Type.Union(OBJECT_KINDS.map((k) => Type.Literal(k))), name: Type.String({ maxLength: 63 }) }),
      response: { 200: Type.Object({ latest: Summary, versions: Type.Array(Summary) }), ...problemResponses(404) },
    },
  }, async (request) => registry.describe(request.params.project, request.params.kind, request.params.name));
};
