import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { ModelRegistry } from '../registry.service.js';
import { ModelName, ModelParams, ModelSchema, ModelTagParams, Paging, parseTagFilter, TagFilter } from './schemas.js';

const TAGS = ['models'];
const BASE = '/api/v1/projects/:project/models';

/** Registered models: create, search, show, rename, describe, tag, delete. */
export const modelRoutes: FastifyPluginAsyncTypebox<{ models: ModelRegistry }> = async (app, { models }) => {
  app.get(BASE, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: 'Search registered models',
      params: ProjectParams,
      querystring: StrictObject({
        nameLike: Type.Optional(Type.String({ maxLength: 256, description: 'case-insensitive pattern; % and _ are wildcards' })),
        tag: TagFilter,
        orderBy: Type.Union([Type.Literal('name'), Type.Literal('createdAt'), Type.Literal('updatedAt')], { default: 'name' }),
        descending: Type.Boolean({ default: false }),
        ...Paging,
      }),
      response: { 200: Type.Object({ models: Type.Array(ModelSchema), nextPageToken: Type.Union([Type.String(), Type.Null()]) }), ...problemResponses(404) },
    },
  }, async (request) => {
    const { tag, ...q } = request.query;
    const page = await models.searchModels(request.params.project, { ...q, tags: parseTagFilter(tag) });
    return { models: page.items, nextPageToken: page.nextPageToken };
  });

  app.post(BASE, {
    config: { permission: 'model:write' },
    schema: {
      tags: TAGS,
      summary: 'Register a model (a name for its versions)',
      params: ProjectParams,
      body: StrictObject({ name: ModelName, description: Type.Optional(Type.String({ maxLength: 5000 })), tags: Type.Optional(Type.Record(Type.String(), Type.String())) }),
      response: { 201: ModelSchema, ...problemResponses(404, 409) },
    },
  }, async (request, reply) => reply.status(201).send(await models.createModel(contextOf(request), request.params.project, request.body)));

  app.get(`${BASE}/:model`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: 'Show a registered model with its aliases', params: ModelParams, response: { 200: ModelSchema, ...problemResponses(404) } },
  }, async (request) => models.getModel(request.params.project, request.params.model));

  app.patch(`${BASE}/:model`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: "Change a model's description", params: ModelParams, body: StrictObject({ description: Type.String({ maxLength: 5000 }) }), response: { 200: ModelSchema, ...problemResponses(404) } },
  }, async (request) => models.updateModel(contextOf(request), request.params.project, request.params.model, request.body));

  app.post(`${BASE}/:model/rename`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Rename a model (its versions and aliases follow)', params: ModelParams, body: StrictObject({ name: ModelName }), response: { 200: ModelSchema, ...problemResponses(404, 409) } },
  }, async (request) => models.renameModel(contextOf(request), request.params.project, request.params.model, request.body.name));

  app.delete(`${BASE}/:model`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Delete a model and all its versions (refused while a protected alias exists)', params: ModelParams, response: { 204: Type.Null(), ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await models.deleteModel(contextOf(request), request.params.project, request.params.model);
    return reply.status(204).send(null);
  });

  app.put(`${BASE}/:model/tags/:key`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Set a tag on a model', params: ModelTagParams, body: StrictObject({ value: Type.String({ maxLength: 5000 }) }), response: { 200: ModelSchema, ...problemResponses(404) } },
  }, async (request) => models.setModelTag(contextOf(request), request.params.project, request.params.model, request.params.key, request.body.value));

  app.delete(`${BASE}/:model/tags/:key`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Delete a tag of a model', params: ModelTagParams, response: { 200: ModelSchema, ...problemResponses(404) } },
  }, async (request) => models.deleteModelTag(contextOf(request), request.params.project, request.params.model, request.params.key));
};
