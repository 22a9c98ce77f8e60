import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { InputError } from '../core/errors/index.js';
import { contextOf } from '../security/index.js';
import type { Run, TrackingService } from '../tracking/index.js';
import { experimentByMlflowId } from './experiments.routes.js';
import { access, MLFLOW_TAGS, sendJson } from './mlflow-access.js';
import { mlflowErrorResponses } from './mlflow-error.js';
import { mlflowProjectOf } from './mlflow-project.js';
import {
  Double,
  doubleOf,
  EmptyJson,
  DatasetInputJson,
  Int64,
  int64Of,
  KeyValue,
  MetricInput,
  MetricJson,
  MlflowBody,
  RunInfoJson,
  RunJson,
  runStatusOf,
  RunStatusInput,
  ViewTypeInput,
  viewTypeOf,
} from './mlflow-schemas.js';
import { metricJson, runInfoJson, runJson } from './tracking-json.js';

/** `run_id`, or the deprecated `run_uuid` older clients send (the Python client sends both). */
const RunRef = { run_id: Type.Optional(Type.String()), run_uuid: Type.Optional(Type.String()) };

function runIdOf(input: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const id = input.run_id || input.run_uuid;
  if (!id) throw new InputError('FALAJ_VALIDATION_FAILED', "Missing value for required parameter 'run_id'");
  return id;
}

/** The run tag MLflow keeps logged models' metadata in (`mlflow.utils.mlflow_tags.MLFLOW_LOGGED_MODELS`). */
const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

function parseHistory(value: string | undefined): unknown[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

const toRecord = (items: { key: string; value: string }[] | undefined) => Object.fromEntries((items ?? []).map((t) => [t.key, t.value]));

/**
 * MLflow experiment ids of the runs in one answer: runs carry our `exp_…` id, the client
 * knows experiments by their MLflow id. One lookup per distinct experiment.
 */
function mlflowIds(tracking: TrackingService, project: string) {
  const known = new Map<string, Promise<string>>();
  return (experimentId: string): Promise<string> => {
    let id = known.get(experimentId);
    if (!id) {
      id = tracking.getExperiment(project, experimentId).then((e) => e.mlflowId);
      known.set(experimentId, id);
    }
    return id;
  };
}

async function runsJson(tracking: TrackingService, project: string, runs: Run[]) {
  const idOf = mlflowIds(tracking, project);
  return Promise.all(runs.map(async (run) => runJson(run, await idOf(run.info.experimentId))));
}

/** `/api/2.0/mlflow/runs/*` and `/api/2.0/mlflow/metrics/get-history` (service.proto). */
export const mlflowRunRoutes: FastifyPluginAsyncTypebox<{ tracking: TrackingService }> = async (app, { tracking }) => {
  const project = (request: FastifyRequest) => mlflowProjectOf(request);

  app.post('/runs/create', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow CreateRun (experiment_id defaults to 0, the Default experiment)',
      body: MlflowBody({
        experiment_id: Type.Optional(Type.String()),
        user_id: Type.Optional(Type.String()),
        run_name: Type.Optional(Type.String()),
        start_time: Type.Optional(Int64),
        tags: Type.Optional(Type.Array(KeyValue)),
      }),
      response: { 200: Type.Object({ run: RunJson }), ...mlflowErrorResponses() },
    },
  }, async (request, reply) => {
    const { body } = request;
    const experiment = await experimentByMlflowId(tracking, request, project(request), body.experiment_id || '0');
    const run = await tracking.createRun(contextOf(request), experiment.project, {
      experimentId: experiment.id,
      name: body.run_name || undefined,
      startTime: body.start_time === undefined ? undefined : int64Of(body.start_time),
      tags: toRecord(body.tags),
      user: body.user_id || undefined,
    });
    return sendJson(reply, { run: runJson(run, experiment.mlflowId) });
  });

  app.get('/runs/get', {
    config: access('run:read'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow GetRun (the latest value of each metric)', querystring: MlflowBody(RunRef), response: { 200: Type.Object({ run: RunJson }), ...mlflowErrorResponses() } },
  }, async (request, reply) => {
    const run = await tracking.getRun(project(request), runIdOf(request.query));
    const [json] = await runsJson(tracking, project(request), [run]);
    return sendJson(reply, { run: json });
  });

  app.post('/runs/update', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow UpdateRun (status, end_time, run_name)',
      body: MlflowBody({ ...RunRef, status: Type.Optional(RunStatusInput), end_time: Type.Optional(Int64), run_name: Type.Optional(Type.String()) }),
      response: { 200: Type.Object({ run_info: RunInfoJson }), ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { body } = request;
    const info = await tracking.updateRun(contextOf(request), project(request), runIdOf(body), {
      status: body.status === undefined ? undefined : runStatusOf(body.status),
      endTime: body.end_time === undefined ? undefined : int64Of(body.end_time),
      name: body.run_name || undefined,
    });
    return { run_info: runInfoJson(info, await mlflowIds(tracking, project(request))(info.experimentId)) };
  });

  app.post('/runs/delete', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteRun (soft)', body: MlflowBody({ run_id: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await tracking.deleteRun(contextOf(request), project(request), request.body.run_id);
    return {};
  });

  app.post('/runs/restore', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow RestoreRun', body: MlflowBody({ run_id: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await tracking.restoreRun(contextOf(request), project(request), request.body.run_id);
    return {};
  });

  app.post('/runs/search', {
    config: access('run:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: "MLflow SearchRuns (MLflow's filter language, plus `or` and parentheses)",
      body: MlflowBody({
        experiment_ids: Type.Optional(Type.Array(Type.String())),
        filter: Type.Optional(Type.String()),
        run_view_type: Type.Optional(ViewTypeInput),
        max_results: Type.Optional(Int64),
        order_by: Type.Optional(Type.Array(Type.String())),
        page_token: Type.Optional(Type.String()),
      }),
      response: { 200: Type.Object({ runs: Type.Optional(Type.Array(RunJson)), next_page_token: Type.Optional(Type.String()) }), ...mlflowErrorResponses() },
    },
  }, async (request, reply) => {
    const { body } = request;
    const where = project(request);
    const experiments = await Promise.all((body.experiment_ids ?? []).map((id) => experimentByMlflowId(tracking, request, where, id)));
    // MLflow searches the experiments named; naming none finds nothing
    if (experiments.length === 0) return sendJson(reply, {});
    const page = await tracking.searchRuns(where, {
      experimentIds: experiments.map((e) => e.id),
      filter: body.filter || undefined,
      orderBy: body.order_by,
      maxResults: body.max_results === undefined ? undefined : int64Of(body.max_results),
      pageToken: body.page_token || undefined,
      viewType: viewTypeOf(body.run_view_type),
    });
    const runs = await runsJson(tracking, where, page.items);
    return sendJson(reply, { ...(runs.length ? { runs } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) });
  });

  app.post('/runs/log-metric', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow LogMetric (append-only)',
      body: MlflowBody({ ...RunRef, key: Type.String(), value: Double, timestamp: Int64, step: Type.Optional(Int64) }),
      response: { 200: EmptyJson, ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { body } = request;
    await tracking.logMetric(project(request), runIdOf(body), { key: body.key, value: doubleOf(body.value), timestamp: int64Of(body.timestamp), step: body.step === undefined ? 0 : int64Of(body.step) });
    return {};
  });

  app.post('/runs/log-parameter', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow LogParam (immutable once written)', body: MlflowBody({ ...RunRef, key: Type.String(), value: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await tracking.logParam(project(request), runIdOf(request.body), { key: request.body.key, value: request.body.value });
    return {};
  });

  app.post('/runs/set-tag', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow SetTag', body: MlflowBody({ ...RunRef, key: Type.String(), value: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await tracking.setTag(project(request), runIdOf(request.body), { key: request.body.key, value: request.body.value });
    return {};
  });

  app.post('/runs/delete-tag', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow DeleteTag', body: MlflowBody({ run_id: Type.String(), key: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    await tracking.deleteTag(project(request), request.body.run_id, request.body.key);
    return {};
  });

  app.post('/runs/log-batch', {
    config: access('run:write'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: 'MLflow LogBatch (≤ 1000 metrics, 100 params, 100 tags; all or nothing)',
      body: MlflowBody({ run_id: Type.String(), metrics: Type.Optional(Type.Array(MetricInput)), params: Type.Optional(Type.Array(KeyValue)), tags: Type.Optional(Type.Array(KeyValue)) }),
      response: { 200: EmptyJson, ...mlflowErrorResponses() },
    },
  }, async (request) => {
    const { body } = request;
    await tracking.logBatch(project(request), body.run_id, {
      metrics: (body.metrics ?? []).map((m) => ({ key: m.key, value: doubleOf(m.value), timestamp: int64Of(m.timestamp), step: m.step === undefined ? 0 : int64Of(m.step) })),
      params: (body.params ?? []).map((p) => ({ key: p.key, value: p.value })),
      tags: (body.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
    });
    return {};
  });

  // MLflow 2.x `log_model` records the MLmodel metadata here after uploading the files;
  // the MLflow server appends it to the run's `mlflow.log-model.history` tag, and so do we.
  app.post('/runs/log-model', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: "MLflow LogModel (appends to the run's mlflow.log-model.history tag)", body: MlflowBody({ run_id: Type.String(), model_json: Type.String() }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const where = project(request);
    let model: unknown;
    try {
      model = JSON.parse(request.body.model_json);
    } catch {
      throw new InputError('FALAJ_VALIDATION_FAILED', 'model_json is not valid JSON: send the MLmodel metadata as a JSON string');
    }
    const run = await tracking.getRun(where, request.body.run_id);
    const history = parseHistory(run.data.tags[LOGGED_MODELS_TAG]);
    await tracking.setTag(where, request.body.run_id, { key: LOGGED_MODELS_TAG, value: JSON.stringify([...history, model]) });
    return {};
  });

  app.post('/runs/log-inputs', {
    config: access('run:write'),
    schema: { tags: MLFLOW_TAGS, summary: 'MLflow LogInputs (datasets with digests)', body: MlflowBody({ run_id: Type.String(), datasets: Type.Optional(Type.Array(DatasetInputJson)) }), response: { 200: EmptyJson, ...mlflowErrorResponses() } },
  }, async (request) => {
    const datasets = (request.body.datasets ?? []).map(({ tags, dataset: d }) => ({
      name: d.name,
      digest: d.digest,
      sourceType: d.source_type,
      source: d.source,
      schema: d.schema,
      profile: d.profile,
      tags: toRecord(tags),
    }));
    await tracking.logInputs(project(request), request.body.run_id, datasets);
    return {};
  });

  app.get('/metrics/get-history', {
    config: access('run:read'),
    schema: {
      tags: MLFLOW_TAGS,
      summary: "MLflow GetMetricHistory (a metric's points in step order, paged)",
      querystring: MlflowBody({ ...RunRef, metric_key: Type.String({ minLength: 1 }), page_token: Type.Optional(Type.String()), max_results: Type.Optional(Type.Integer({ minimum: 1 })) }),
      response: { 200: Type.Object({ metrics: Type.Optional(Type.Array(MetricJson)), next_page_token: Type.Optional(Type.String()) }), ...mlflowErrorResponses() },
    },
  }, async (request, reply) => {
    const { query } = request;
    const page = await tracking.metricHistory(project(request), runIdOf(query), query.metric_key, { maxResults: query.max_results, pageToken: query.page_token || undefined });
    return sendJson(reply, { ...(page.items.length ? { metrics: page.items.map(metricJson) } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) });
  });
};
