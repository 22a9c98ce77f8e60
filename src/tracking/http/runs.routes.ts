import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { TrackingService } from '../tracking.service.js';
import type { Page, Run, RunSearch } from '../tracking.types.js';
import {
  CreateRunBody,
  HistoryPage,
  HistoryQuery,
  LogBatchBody,
  LogInputsBody,
  MetricBody,
  NoContent,
  ParamBody,
  RunInfoSchema,
  RunParams,
  RunSchema,
  RunSearchBody,
  RunSearchQuery,
  RunsPage,
  TagBody,
  TagKeyQuery,
  UpdateRunBody,
} from './tracking.schemas.js';
import { metricFromWire, sendWithMetrics } from './wire.js';

const TAGS = ['tracking'];
const RUN = '/api/v1/projects/:project/runs/:run';

/**
 * Runs: create, get, search (GET with query parameters, or POST for long filters), log
 * (batch, metric, param, tag, inputs), metric history, update, delete and restore.
 */
export const runRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService }> = async (app, { tracking }) => {
  const runsPage = (page: Page<Run>) => ({ runs: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) });
  const search = (project: string, q: RunSearch) => tracking.searchRuns(project, q);

  app.post('/api/v1/projects/:project/runs', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Start a run (status RUNNING) in an experiment', params: ProjectParams, body: CreateRunBody, response: { 201: RunSchema, ...problemResponses(404) } },
  }, async (request, reply) => sendWithMetrics(reply, 201, await tracking.createRun(contextOf(request), request.params.project, request.body)));

  app.get('/api/v1/projects/:project/runs', {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: 'Search runs (?experimentId=…&filter=…&orderBy=…)', params: ProjectParams, querystring: RunSearchQuery, response: { 200: RunsPage, ...problemResponses(404) } },
  }, async (request, reply) => {
    const { experimentId, ...rest } = request.query;
    return sendWithMetrics(reply, 200, runsPage(await search(request.params.project, { experimentIds: experimentId, ...rest })));
  });

  app.post('/api/v1/projects/:project/runs/search', {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: 'Search runs, the filter in the body (for long filters)', params: ProjectParams, body: RunSearchBody, response: { 200: RunsPage, ...problemResponses(404) } },
  }, async (request, reply) => sendWithMetrics(reply, 200, runsPage(await search(request.params.project, request.body))));

  app.get(RUN, {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: 'One run with its params, tags, latest metrics and inputs', params: RunParams, response: { 200: RunSchema, ...problemResponses(404) } },
  }, async (request, reply) => sendWithMetrics(reply, 200, await tracking.getRun(request.params.project, request.params.run)));

  app.patch(RUN, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Update status, end time or name (a terminal status without endTime ends it now)', params: RunParams, body: UpdateRunBody, response: { 200: RunInfoSchema, ...problemResponses(404, 409) } },
  }, async (request) => tracking.updateRun(contextOf(request), request.params.project, request.params.run, request.body));

  app.delete(RUN, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Delete a run (soft: restorable)', params: RunParams, response: { 200: RunInfoSchema, ...problemResponses(404) } },
  }, async (request) => tracking.deleteRun(contextOf(request), request.params.project, request.params.run));

  app.post(`${RUN}/restore`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Restore a deleted run', params: RunParams, response: { 200: RunInfoSchema, ...problemResponses(404) } },
  }, async (request) => tracking.restoreRun(contextOf(request), request.params.project, request.params.run));

  app.post(`${RUN}/log-batch`, {
    config: { permission: 'run:write' },
    schema: {
      tags: TAGS,
      summary: 'Log up to 1,000 metrics, 100 params and 100 tags in one transaction (all or nothing)',
      params: RunParams,
      body: LogBatchBody,
      response: { 204: NoContent, ...problemResponses(404, 409) },
    },
  }, async (request, reply) => {
    const now = Date.now();
    const { metrics, params, tags } = request.body;
    await tracking.logBatch(request.params.project, request.params.run, { metrics: metrics.map((m) => metricFromWire(m, now)), params, tags });
    return reply.status(204).send(null);
  });

  app.post(`${RUN}/metrics`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Log one metric point', params: RunParams, body: MetricBody, response: { 204: NoContent, ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await tracking.logMetric(request.params.project, request.params.run, metricFromWire(request.body, Date.now()));
    return reply.status(204).send(null);
  });

  app.get(`${RUN}/metrics/history`, {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: "A metric's points in step order, a page at a time", params: RunParams, querystring: HistoryQuery, response: { 200: HistoryPage, ...problemResponses(404) } },
  }, async (request, reply) => {
    const { key, ...paging } = request.query;
    const page = await tracking.metricHistory(request.params.project, request.params.run, key, paging);
    return sendWithMetrics(reply, 200, { metrics: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) });
  });

  app.post(`${RUN}/params`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Log a param (immutable: another value is a 409)', params: RunParams, body: ParamBody, response: { 204: NoContent, ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await tracking.logParam(request.params.project, request.params.run, request.body);
    return reply.status(204).send(null);
  });

  app.post(`${RUN}/tags`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Set a tag (overwrites)', params: RunParams, body: TagBody, response: { 204: NoContent, ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await tracking.setTag(request.params.project, request.params.run, request.body);
    return reply.status(204).send(null);
  });

  app.delete(`${RUN}/tags`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Delete a tag (?key=…); a missing tag is not an error', params: RunParams, querystring: TagKeyQuery, response: { 204: NoContent, ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await tracking.deleteTag(request.params.project, request.params.run, request.query.key);
    return reply.status(204).send(null);
  });

  app.post(`${RUN}/inputs`, {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Record datasets the run read (name, digest, source, context)', params: RunParams, body: LogInputsBody, response: { 204: NoContent, ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await tracking.logInputs(request.params.project, request.params.run, request.body.datasets);
    return reply.status(204).send(null);
  });
};
