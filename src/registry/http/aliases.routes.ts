import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { ModelAliases } from '../aliases.service.js';
import { APPROVAL_STATUSES } from '../model-types.js';
import { AliasParams, AliasSchema, ApprovalParams, ApprovalSchema, ModelParams, SettingsSchema, VersionNumber, VersionSchema } from './schemas.js';

const TAGS = ['models'];
const BASE = '/api/v1/projects/:project/models';

/**
 * Aliases and approvals. Moving or deleting an alias is declared `model:read` here and
 * decided by the service, which knows whether the alias is protected: a protected alias
 * needs `model:promote`, any other `model:write` or `model:promote` (refusals are 403
 * and audited).
 */
export const aliasRoutes: FastifyPluginAsyncTypebox<{ aliases: ModelAliases }> = async (app, { aliases }) => {
  app.get(`${BASE}/:model/aliases`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: "A model's aliases", params: ModelParams, response: { 200: Type.Object({ aliases: Type.Array(AliasSchema) }), ...problemResponses(404) } },
  }, async (request) => ({ aliases: await aliases.listAliases(request.params.project, request.params.model) }));

  app.get(`${BASE}/:model/aliases/:alias`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: 'The version an alias names (latest and v<N> resolve too)', params: AliasParams, response: { 200: VersionSchema, ...problemResponses(404) } },
  }, async (request) => aliases.getByAlias(request.params.project, request.params.model, request.params.alias));

  app.put(`${BASE}/:model/aliases/:alias`, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: 'Point an alias at a version: 200 when moved, 202 with an approval request when the project requires a second person',
      params: AliasParams,
      body: StrictObject({ version: VersionNumber }),
      response: {
        200: Type.Object({ applied: Type.Literal(true), alias: AliasSchema }),
        202: Type.Object({ applied: Type.Literal(false), approval: ApprovalSchema }),
        ...problemResponses(404, 422),
      },
    },
  }, async (request, reply) => {
    const change = await aliases.setAlias(contextOf(request), request.params.project, request.params.model, request.params.alias, request.body.version);
    return reply.status(change.applied ? 200 : 202).send(change);
  });

  app.delete(`${BASE}/:model/aliases/:alias`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: 'Delete an alias', params: AliasParams, response: { 204: Type.Null(), ...problemResponses(404) } },
  }, async (request, reply) => {
    await aliases.deleteAlias(contextOf(request), request.params.project, request.params.model, request.params.alias);
    return reply.status(204).send(null);
  });

  app.get(`${BASE}/-/approvals`, {
    config: { permission: 'model:read' },
    schema: {
      tags: TAGS,
      summary: 'Alias approval requests, newest first',
      params: ProjectParams,
      querystring: StrictObject({ status: Type.Optional(Type.Union(APPROVAL_STATUSES.map((s) => Type.Literal(s)))), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }),
      response: { 200: Type.Object({ approvals: Type.Array(ApprovalSchema) }), ...problemResponses() },
    },
  }, async (request) => ({ approvals: await aliases.listApprovals(request.params.project, request.query.status, request.query.limit) }));

  app.get(`${BASE}/-/approvals/:id`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: 'One approval request', params: ApprovalParams, response: { 200: ApprovalSchema, ...problemResponses(404) } },
  }, async (request) => aliases.getApproval(request.params.project, request.params.id));

  app.post(`${BASE}/-/approvals/:id/approve`, {
    config: { permission: 'model:promote' },
    schema: {
      tags: TAGS,
      summary: 'Approve a pending alias move (not your own request) and apply it',
      params: ApprovalParams,
      response: { 200: Type.Object({ approval: ApprovalSchema, alias: AliasSchema }), ...problemResponses(404, 409, 422) },
    },
  }, async (request) => aliases.approve(contextOf(request), request.params.project, request.params.id));

  app.post(`${BASE}/-/approvals/:id/reject`, {
    config: { permission: 'model:promote' },
    schema: { tags: TAGS, summary: 'Reject (or withdraw) a pending alias move', params: ApprovalParams, body: StrictObject({ note: Type.Optional(Type.String({ maxLength: 2000 })) }), response: { 200: ApprovalSchema, ...problemResponses(404, 409) } },
  }, async (request) => aliases.reject(contextOf(request), request.params.project, request.params.id, request.body.note));

  app.get(`${BASE}/-/settings`, {
    config: { permission: 'model:read' },
    schema: { tags: TAGS, summary: "The project's registry settings", params: ProjectParams, response: { 200: SettingsSchema, ...problemResponses() } },
  }, async (request) => aliases.getSettings(request.params.project));

  app.put(`${BASE}/-/settings`, {
    config: { permission: 'project:update' },
    schema: { tags: TAGS, summary: 'Require (or not) a second person to approve protected alias moves', params: ProjectParams, body: StrictObject({ requireApproval: Type.Boolean() }), response: { 200: SettingsSchema, ...problemResponses() } },
  }, async (request) => aliases.updateSettings(contextOf(request), request.params.project, request.body));
};
