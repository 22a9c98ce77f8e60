import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseDuration } from '../../core/duration.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { TokenService } from '../identity/index.js';
import type { ProjectService } from '../projects/index.js';
import { GLOBAL_SCOPE } from '../rbac/index.js';
import { contextOf, principalOf } from './route-security.js';
import { CreatedTokenSchema, CreateTokenBody, ProjectParams, TokenInfoSchema } from './schemas.js';

const TAGS = ['tokens'];

/** API tokens per project (project admins) or platform-wide (global admins). */
export const tokenRoutes: FastifyPluginAsyncTypebox<{ tokens: TokenService; projects: ProjectService }> = async (app, { tokens, projects }) => {
  app.get('/api/v1/whoami', {
    config: { permission: 'authenticated' },
    schema: {
      tags: TAGS,
      summary: 'Who the presented credential is',
      response: {
        200: Type.Object({
          id: Type.String(),
          name: Type.String(),
          kind: Type.String(),
          via: Type.String(),
          tokenId: Type.Optional(Type.String()),
          bindings: Type.Array(Type.Object({ project: Type.String(), role: Type.String() })),
        }),
        ...problemResponses(),
      },
    },
  }, async (request) => principalOf(request));

  app.post('/api/v1/projects/:project/tokens', {
    config: { permission: 'token:manage' },
    schema: { tags: TAGS, summary: 'Create a project token (shown once)', params: ProjectParams, body: CreateTokenBody, response: { 201: CreatedTokenSchema, ...problemResponses(404) } },
  }, async (request, reply) => {
    await projects.get(request.params.project);
    const { role, name, expiresIn } = request.body;
    const created = await tokens.create(contextOf(request), { project: request.params.project, role, name, expiresInMs: expiresIn ? parseDuration(expiresIn) : undefined });
    return reply.status(201).send(created);
  });

  app.get('/api/v1/projects/:project/tokens', {
    config: { permission: 'token:manage' },
    schema: { tags: TAGS, summary: "List a project's tokens", params: ProjectParams, response: { 200: Type.Object({ tokens: Type.Array(TokenInfoSchema) }), ...problemResponses(404) } },
  }, async (request) => {
    await projects.get(request.params.project);
    return { tokens: await tokens.list(request.params.project) };
  });

  app.post('/api/v1/tokens', {
    config: { permission: 'token:manage' },
    schema: { tags: TAGS, summary: 'Create a platform-wide token (global admins only)', body: CreateTokenBody, response: { 201: CreatedTokenSchema, ...problemResponses() } },
  }, async (request, reply) => {
    const { role, name, expiresIn } = request.body;
    const created = await tokens.create(contextOf(request), { project: GLOBAL_SCOPE, role, name, expiresInMs: expiresIn ? parseDuration(expiresIn) : undefined });
    return reply.status(201).send(created);
  });

  app.get('/api/v1/tokens', {
    config: { permission: 'token:manage' },
    schema: { tags: TAGS, summary: 'List every token (global admins only)', response: { 200: Type.Object({ tokens: Type.Array(TokenInfoSchema) }), ...problemResponses() } },
  }, async () => ({ tokens: await tokens.list(undefined) }));

  app.delete('/api/v1/tokens/:id', {
    // the permission is checked on the token's own project: a project admin may revoke
    // its project's tokens, only a global admin a platform-wide one
    config: { permission: 'token:manage', scope: async (request) => (await tokens.get((request.params as { id: string }).id)).project },
    schema: {
      tags: TAGS,
      summary: 'Revoke a token',
      params: StrictObject({ id: Type.String({ pattern: '^tok_[0-9a-z]{26}$' }) }),
      response: { 200: TokenInfoSchema, ...problemResponses(404) },
    },
  }, async (request) => tokens.revoke(contextOf(request), request.params.id));
};
