import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { ProjectService } from '../projects/index.js';
import { contextOf, principalOf } from './route-security.js';
import { ProjectName, ProjectParams, ProjectSchema, RegionName } from './schemas.js';

const TAGS = ['projects'];

/** Projects: the tenants. Creating one is platform-wide (global admin); the rest per project. */
export const projectRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectService }> = async (app, { projects }) => {
  app.get('/api/v1/projects', {
    config: { permission: 'authenticated' },
    schema: { tags: TAGS, summary: 'List the projects you can see', response: { 200: Type.Object({ projects: Type.Array(ProjectSchema) }), ...problemResponses() } },
  }, async (request) => ({ projects: await projects.list(principalOf(request)) }));

  app.post('/api/v1/projects', {
    config: { permission: 'project:create' },
    schema: {
      tags: TAGS,
      summary: 'Create a project',
      body: StrictObject({
        name: ProjectName,
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        allowedRegions: Type.Optional(Type.Array(RegionName, { minItems: 1, maxItems: 50 })),
      }),
      response: { 201: ProjectSchema, ...problemResponses(409, 422) },
    },
  }, async (request, reply) => reply.status(201).send(await projects.create(contextOf(request), request.body)));

  app.get('/api/v1/projects/:project', {
    config: { permission: 'project:read' },
    schema: { tags: TAGS, summary: 'Show a project', params: ProjectParams, response: { 200: ProjectSchema, ...problemResponses(404) } },
  }, async (request) => projects.get(request.params.project));

  app.patch('/api/v1/projects/:project', {
    config: { permission: 'project:update' },
    schema: {
      tags: TAGS,
      summary: 'Change a project (description, allowed regions)',
      params: ProjectParams,
      body: StrictObject({
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        allowedRegions: Type.Optional(Type.Array(RegionName, { minItems: 1, maxItems: 50 })),
      }),
      response: { 200: ProjectSchema, ...problemResponses(404, 422) },
    },
  }, async (request) => projects.update(contextOf(request), request.params.project, request.body));
};
