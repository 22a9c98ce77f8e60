import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { ModelRegistry } from '../registry.service.js';
import { CreateVersionBody, ModelName, ModelParams, Paging, parseTagFilter, TagFilter, VerificationSchema, VersionNumber, VersionParams, VersionSchema, VersionTagParams } from './schemas.js';

const TAGS = ['models'];
const BASE = '/api/v1/projects/:project/models';
const Versions = Type.Object({ versions: Type.Array(VersionSchema), nextPageToken: Type.Union([Type.String(), Type.Null()]) });

/** Model versions: register from a run (signed), search, show, verify, download a file. */
export const versionRoutes: FastifyPluginAsyncTypebox<{ models: ModelRegistry }> = async (app, { models }) => {
  app.get(`${BASE}/-/versions`, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: 'Search versions across models',
      params: ProjectParams,
      querystring: StrictObject({ modelLike: Type.Optional(Type.String({ maxLength: 256 })), runId: Type.Optional(Type.String({ maxLength: 256 })), tag: TagFilter, ...Paging }),
      response: { 200: Versions, ...problemResponses() },
    },
  }, async (request) => {
    const { tag, ...q } = request.query;
    const page = await models.searchVersions(request.params.project, { ...q, tags: parseTagFilter(tag) });
    return { versions: page.items, nextPageToken: page.nextPageToken };
  });

  app.get(`${BASE}/:model/versions`, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: "A model's versions, newest first",
      params: ModelParams,
      querystring: StrictObject({ runId: Type.Optional(Type.String({ maxLength: 256 })), tag: TagFilter, ...Paging }),
      response: { 200: Versions, ...problemResponses(404) },
    },
  }, async (request) => {
    await models.getModel(request.params.project, request.params.model); // 404 for an unknown model, not an empty list
    const { tag, ...q } = request.query;
    const page = await models.searchVersions(request.params.project, { ...q, model: request.params.model, tags: parseTagFilter(tag) });
    return { versions: page.items, nextPageToken: page.nextPageToken };
  });

  app.post(`${BASE}/:model/versions`, {
    config: { permission: 'model:write' },
    schema: {
      tags: TAGS,
      summary: 'Register a new version; from runs:/RUN/PATH its files are listed and signed and the ONNX signature read',
      params: ModelParams,
      body: CreateVersionBody,
      response: { 201: VersionSchema, ...problemResponses(404, 409, 422, 503) },
    },
  }, async (request, reply) => reply.status(201).send(await models.createVersion(contextOf(request), request.params.project, request.params.model, request.body)));

  app.get(`${BASE}/:model/versions/:version`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: 'Show a version: lineage, classification, files, signature, ONNX signature', params: VersionParams, response: { 200: VersionSchema, ...problemResponses(404) } },
  }, async (request) => models.getVersion(request.params.project, request.params.model, request.params.version));

  app.patch(`${BASE}/:model/versions/:version`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: "Change a version's description", params: VersionParams, body: StrictObject({ description: Type.String({ maxLength: 5000 }) }), response: { 200: VersionSchema, ...problemResponses(404) } },
  }, async (request) => models.updateVersion(contextOf(request), request.params.project, request.params.model, request.params.version, request.body));

  app.delete(`${BASE}/:model/versions/:version`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Delete a version (refused while a protected alias points at it)', params: VersionParams, response: { 204: Type.Null(), ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await models.deleteVersion(contextOf(request), request.params.project, request.params.model, request.params.version);
    return reply.status(204).send(null);
  });

  app.put(`${BASE}/:model/versions/:version/tags/:key`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Set a tag on a version', params: VersionTagParams, body: StrictObject({ value: Type.String({ maxLength: 5000 }) }), response: { 200: VersionSchema, ...problemResponses(404) } },
  }, async (request) => models.setVersionTag(contextOf(request), request.params.project, request.params.model, request.params.version, request.params.key, request.body.value));

  app.delete(`${BASE}/:model/versions/:version/tags/:key`, {
    config: { permission: 'model:write' },
    schema: { tags: TAGS, summary: 'Delete a tag of a version', params: VersionTagParams, response: { 200: VersionSchema, ...problemResponses(404) } },
  }, async (request) => models.deleteVersionTag(contextOf(request), request.params.project, request.params.model, request.params.version, request.params.key));

  app.post(`${BASE}/:model/versions/:version/verify`, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: "Check a version's files against its signature (deep: re-read and hash every file); 422 and an audit event when tampered",
      params: VersionParams,
      querystring: StrictObject({ deep: Type.Boolean({ default: true }) }),
      response: { 200: VerificationSchema, ...problemResponses(404, 422, 503) },
    },
  }, async (request) => models.verifyVersion(contextOf(request), request.params.project, request.params.model, request.params.version, { deep: request.query.deep }));

  app.get(`${BASE}/:model/versions/:version/files/*`, {
    config: { permission: 'artifact:read' },
    schema: {
      tags: TAGS,
      summary: 'Download one file of a version, after its signature is verified (audited read)',
      params: StrictObject({ project: ProjectParams.properties.project, model: ModelName, version: VersionNumber, '*': Type.String({ minLength: 1, maxLength: 1024 }) }),
      response: { 200: Type.String({ description: 'application/octet-stream' }), ...problemResponses(404, 422, 503) },
    },
  }, async (request, reply) => {
    const { file, stream } = await models.openVersionFile(contextOf(request), request.params.project, request.params.model, request.params.version, request.params['*']);
    reply.type('application/octet-stream').header('x-falaj-sha256', file.sha256).header('content-length', file.bytes);
    return reply.send(stream as unknown as string);
  });
};
