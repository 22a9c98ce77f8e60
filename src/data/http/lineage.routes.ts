import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { problemResponses } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import { EmitResultSchema, EventsQuery, GraphQuery, GraphSchema, RunEventSchema, StoredEventSchema } from '../lineage/lineage.schema.js';
import type { LineageService } from '../lineage/lineage.service.js';

const TAGS = ['lineage'];

/**
 * Lineage over HTTP: the graph around a node, the stored run events, and an OpenLineage
 * endpoint for outside tools. Point an OpenLineage client (Airflow, Spark, dbt) at
 * `POST /api/v1/projects/<project>/lineage` with a Falaj token as its API key: its events
 * join the project's graph. Reading needs `project:read`; reporting `run:write` (audited).
 */
export const lineageRoutes: FastifyPluginAsyncTypebox<{ lineage: LineageService }> = async (app, { lineage }) => {
  app.get('/api/v1/projects/:project/lineage', {
    config: { permission: 'project:read' },
    schema: {
      tags: TAGS,
      summary: 'The lineage around a node: what fed it (up), what it fed (down), or both',
      params: ProjectParams,
      querystring: GraphQuery,
      response: { 200: GraphSchema, ...problemResponses(404) },
    },
  }, async (request) => {
    const { node, direction, depth } = request.query;
    return lineage.graph(request.params.project, node, { ...(direction ? { direction } : {}), ...(depth !== undefined ? { depth } : {}) });
  });

  app.get('/api/v1/projects/:project/lineage/events', {
    config: { permission: 'project:read' },
    schema: {
      tags: TAGS,
      summary: 'Stored OpenLineage run events, newest first',
      params: ProjectParams,
      querystring: EventsQuery,
      response: { 200: Type.Object({ events: Type.Array(StoredEventSchema) }), ...problemResponses(404) },
    },
  }, async (request) => ({ events: await lineage.listEvents(request.params.project, request.query) }));

  app.post('/api/v1/projects/:project/lineage', {
    config: { permission: 'run:write' },
    schema: {
      tags: TAGS,
      summary: 'Report an OpenLineage RunEvent (the OpenLineage HTTP transport posts here)',
      params: ProjectParams,
      body: RunEventSchema,
      response: { 201: EmitResultSchema, ...problemResponses(404) },
    },
  }, async (request, reply) => reply.code(201).send(await lineage.report(contextOf(request), request.params.project, request.body)));
};
