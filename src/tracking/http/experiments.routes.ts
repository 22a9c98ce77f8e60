import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { problemResponses } from '../../core/http/problem.schema.js';
import { contextOf, ProjectParams } from '../../security/index.js';
import type { TrackingService } from '../tracking.service.js';
import {
  CreateExperimentBody,
  ExperimentByNameQuery,
  ExperimentParams,
  ExperimentSchema,
  ExperimentSearchQuery,
  ExperimentsPage,
  RenameExperimentBody,
  TagBody,
  TagKeyQuery,
} from './tracking.schemas.js';

const TAGS = ['tracking'];

/** Experiments: create, get (by id or name), search, rename, tag, delete and restore (soft). */
export const experimentRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService }> = async (app, { tracking }) => {
  app.post('/api/v1/projects/:project/experiments', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Create an experiment (names are unique per project)', params: ProjectParams, body: CreateExperimentBody, response: { 201: ExperimentSchema, ...problemResponses(404, 409) } },
  }, async (request, reply) => reply.status(201).send(await tracking.createExperiment(contextOf(request), request.params.project, request.body)));

  app.get('/api/v1/projects/:project/experiments', {
    config: { permission: 'run:read' },
    schema: {
      tags: TAGS,
      summary: "Search experiments (filter on name, tags, creation_time, last_update_time; default order last_update_time DESC)",
      params: ProjectParams,
      querystring: ExperimentSearchQuery,
      response: { 200: ExperimentsPage, ...problemResponses(404) },
    },
  }, async (request) => {
    const page = await tracking.searchExperiments(request.params.project, request.query);
    return { experiments: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  });

  app.get('/api/v1/projects/:project/experiments/by-name', {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: 'One experiment by name', params: ProjectParams, querystring: ExperimentByNameQuery, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.getExperimentByName(request.params.project, request.query.name));

  app.get('/api/v1/projects/:project/experiments/:experiment', {
    config: { permission: 'run:read' },
    schema: { tags: TAGS, summary: 'One experiment', params: ExperimentParams, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.getExperiment(request.params.project, request.params.experiment));

  app.patch('/api/v1/projects/:project/experiments/:experiment', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Rename an experiment', params: ExperimentParams, body: RenameExperimentBody, response: { 200: ExperimentSchema, ...problemResponses(404, 409) } },
  }, async (request) => tracking.renameExperiment(contextOf(request), request.params.project, request.params.experiment, request.body.name));

  app.delete('/api/v1/projects/:project/experiments/:experiment', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Delete an experiment and its runs (soft: restorable)', params: ExperimentParams, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.deleteExperiment(contextOf(request), request.params.project, request.params.experiment));

  app.post('/api/v1/projects/:project/experiments/:experiment/restore', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Restore a deleted experiment and its runs', params: ExperimentParams, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.restoreExperiment(contextOf(request), request.params.project, request.params.experiment));

  app.post('/api/v1/projects/:project/experiments/:experiment/tags', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Set an experiment tag', params: ExperimentParams, body: TagBody, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.setExperimentTag(contextOf(request), request.params.project, request.params.experiment, request.body.key, request.body.value));

  app.delete('/api/v1/projects/:project/experiments/:experiment/tags', {
    config: { permission: 'run:write' },
    schema: { tags: TAGS, summary: 'Delete an experiment tag (?key=…)', params: ExperimentParams, querystring: TagKeyQuery, response: { 200: ExperimentSchema, ...problemResponses(404) } },
  }, async (request) => tracking.deleteExperimentTag(contextOf(request), request.params.project, request.params.experiment, request.query.key));
};
