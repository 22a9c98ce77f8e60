import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { contextOf } from '../security/index.js';
import { DEFAULT_EXPERIMENT, type Experiment, type TrackingService } from '../tracking/index.js';
import { access, MLFLOW_TAGS } from './mlflow-access.js';
import { mlflowErrorResponses } from './mlflow-error.js';
import { mlflowProjectOf } from './mlflow-project.js';
import { EmptyJson, ExperimentJson, Int64, int64Of, KeyValue, MlflowBody, viewTypeOf, ViewTypeInput } from './mlflow-schemas.js';
import { experimentJson } from './tracking-json.js';

const ExperimentId = Type.String({ minLength: 1, maxLength: 64, description: "MLflow's experiment id (digits); 0 is the project's Default experiment" });
const ExperimentAnswer = Type.Object({ experiment: ExperimentJson });

/**
 * The experiment the client means by an MLflow id. `0` is the Default experiment every
 * MLflow server has; Falaj makes it per project on first use, so the stock client's
 * `start_run()` without `set_experiment()` works.
 */
export async function experimentByMlflowId(tracking: TrackingService, request: FastifyRequest, project: string, mlflowId: string): Promise<Experiment> {
  if (mlflowId === String(DEFAULT_EXPERIMENT.mlflowId)) return tracking.defaultExperiment(contextOf(request), project);
  return tracking.getExperimentByMlflowId(project, mlflowId);
}

/** `/api/2.0/mlflow/experiments/*` (service.proto: CreateExperiment … UpdateExperiment, Set/DeleteExperimentTag). */
export const mlflowExperimentRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService }> = async (app, { tracking }) => {
  const byId = (request: FastifyRequest, id: string) => experimentByMlflowId(tracking, request, mlflowProjectOf(request), id);

  app.post('/experiments/create', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow CreateExperiment (artifact_location is ignored: artifacts always go through the proxy into the encrypted store)',
      body: MlflowBody({ name: Type.String(), artifact_location: Type.Optional(Type.String()), tags: Type.Optional(Type.Array(KeyValue)) }),
      response: { 200: Type.Object({ experiment_id: Type.String() }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { name, tags } = request.body;
    const tagRecord = Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
    const experiment = await tracking.createExperiment(contextOf(request), mlflowProjectOf(request), { name, tags: tagRecord });
    return { experiment_id: experiment.mlflowId };
  });

  app.get('/experiments/get', {
    config: access('run:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetExperiment (works on deleted experiments)', querystring: MlflowBody({ experiment_id: ExperimentId }), response: { 200: ExperimentAnswer, ...mlflowErrorResponses() } },
  }, async (request) => ({ experiment: experimentJson(await byId(request, request.query.experiment_id)) }));

  app.get('/experiments/get-by-name', {
    config: access('run:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetExperimentByName', querystring: MlflowBody({ experiment_name: Type.String({ minLength: 1 }) }), response: { 200: ExperimentAnswer, ...mlflowErrorResponses() } },
  }, async (request) => {
    const project = mlflowProjectOf(request);
    const name = request.query.experiment_name;
    // `mlflow.set_experiment("Default")` must find the Default experiment even before first use
    if (name === DEFAULT_EXPERIMENT.name) await tracking.defaultExperiment(contextOf(request), project);
    return { experiment: experimentJson(await tracking.getExperimentByName(project, name)) };
  });

  const SearchInput = {
    max_results: Type.Optional(Int64),
    page_token: Type.Optional(Type.String()),
    filter: Type.Optional(Type.String()),
    order_by: Type.Optional(Type.Array(Type.String())),
    view_type: Type.Optional(ViewTypeInput),
  };
  const SearchAnswer = Type.Object({ experiments: Type.Optional(Type.Array(ExperimentJson)), next_page_token: Type.Optional(Type.String()) });
  const search = async (request: FastifyRequest, input: { max_results?: number | string | undefined; page_token?: string | undefined; filter?: string | undefined; order_by?: string[] | undefined; view_type?: string | number | undefined }) => {
    const project = mlflowProjectOf(request);
    // An MLflow server always lists its Default experiment; so does each Falaj project.
    await tracking.defaultExperiment(contextOf(request), project);
    const page = await tracking.searchExperiments(project, {
      maxResults: input.max_results === undefined ? undefined : int64Of(input.max_results),
      pageToken: input.page_token || undefined,
      filter: input.filter || undefined,
      orderBy: input.order_by,
      viewType: viewTypeOf(input.view_type),
    });
    // proto3 JSON leaves out an empty repeated field and an unset token
    return { ...(page.items.length ? { experiments: page.items.map(experimentJson) } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  };

  // The client uses POST (the RPC's first endpoint); GET with query parameters is documented too.
  app.post('/experiments/search', {
    config: access('run:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow SearchExperiments', body: MlflowBody(SearchInput), response: { 200: SearchAnswer, ...mlflowErrorResponses() } },
  }, async (request) => search(request, request.body));

  app.get('/experiments/search', {
    config: access('run:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow SearchExperiments (query parameters)',
      querystring: MlflowBody({ ...SearchInput, max_results: Type.Optional(Type.Integer()) }),
      response: { 200: SearchAnswer, ...mlflowErrorResponses() },
    },
  }, async (request) => search(request, request.query));

  app.post('/experiments/update', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow UpdateExperiment (rename)', body: MlflowBody({ experiment_id: ExperimentId, new_name: Type.Optional(Type.String()) }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const experiment = await byId(request, request.body.experiment_id);
    if (request.body.new_name !== undefined) await tracking.renameExperiment(contextOf(request), experiment.project, experiment.id, request.body.new_name);
    return {};
  });

  app.post('/experiments/delete', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteExperiment (soft, with its runs)', body: MlflowBody({ experiment_id: ExperimentId }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const experiment = await byId(request, request.body.experiment_id);
    await tracking.deleteExperiment(contextOf(request), experiment.project, experiment.id);
    return {};
  });

  app.post('/experiments/restore', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow RestoreExperiment', body: MlflowBody({ experiment_id: ExperimentId }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const experiment = await byId(request, request.body.experiment_id);
    await tracking.restoreExperiment(contextOf(request), experiment.project, experiment.id);
    return {};
  });

  app.post('/experiments/set-experiment-tag', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow SetExperimentTag',
      body: MlflowBody({ experiment_id: ExperimentId, key: Type.String(), value: Type.String() }),
      response: { 200: EmptyJson, ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const experiment = await byId(request, request.body.experiment_id);
    await tracking.setExperimentTag(contextOf(request), experiment.project, experiment.id, request.body.key, request.body.value);
    return {};
  });

  app.post('/experiments/delete-experiment-tag', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteExperimentTag', body: MlflowBody({ experiment_id: ExperimentId, key: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const experiment = await byId(request, request.body.experiment_id);
    await tracking.deleteExperimentTag(contextOf(request), experiment.project, experiment.id, request.body.key);
    return {};
  });
};
