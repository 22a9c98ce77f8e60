import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * What the stock MLflow 2.x Python client sends for
 *
 *   mlflow.set_experiment("fraud")                      # optional, second scenario
 *   with mlflow.start_run():
 *       mlflow.log_param("lr", 0.01)
 *       mlflow.log_metric("rmse", 0.5)
 *       mlflow.log_artifact("output.txt")
 *       mlflow.log_artifact("model.pkl", artifact_path="model")
 *   mlflow.register_model(f"runs:/{run_id}/model", "fraud-scorer")
 *   mlflow.artifacts.download_artifacts("models:/fraud-scorer/1")
 *
 * on the wire, call for call, as read from the client's source (mlflow/tracking/fluent.py,
 * mlflow/store/tracking/rest_store.py, mlflow/utils/rest_utils.py: GET sends the message
 * as query parameters, every other method as a JSON body; mlflow/store/artifact/
 * http_artifact_repo.py and mlflow_artifacts_repo.py for the proxied artifacts;
 * mlflow/tracking/_model_registry/fluent.py for register_model). Both run_id and the
 * deprecated run_uuid are sent, int64 fields as JSON numbers, enums by name.
 */
const USER_AGENT = 'mlflow-python-client/2.14.1';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

/** One call as `rest_utils.call_endpoint` makes it. */
async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, message: Record<string, unknown>): Promise<LightMyRequestResponse> {
  const headers = { ...t.auth(), 'user-agent': USER_AGENT };
  if (method === 'GET') {
    // requests encodes a list as repeated keys and drops None; the client never sends None here
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(message)) for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
    return t.app.inject({ method, url: `${endpoint}?${query}`, headers });
  }
  return t.app.inject({ method, url: endpoint, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(message) });
}

/** `verify_rest_response`: 200 and a JSON object, else RestException(error_code). */
function ok(res: LightMyRequestResponse): Record<string, any> {
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  expect(body).toBeTypeOf('object');
  return body;
}

/** `http_artifact_repo.log_artifact`: PUT of the file's bytes with the guessed MIME type. */
async function putArtifact(artifactUri: string, path: string, bytes: Buffer, mimeType: string): Promise<void> {
  const url = `/api/2.0/mlflow-artifacts/artifacts/${artifactUri.replace(/^mlflow-artifacts:\//, '')}/${path}`;
  const res = await t.app.inject({ method: 'PUT', url, headers: { ...t.auth(), 'user-agent': USER_AGENT, 'content-type': mimeType }, payload: bytes });
  ok(res);
}

describe('the stock MLflow client, call by call', () => {
  const pickled = Buffer.from('pickled bytes of a fraud model');
  let runId = '';
  let artifactUri = '';

  it('start_run(): runs/create in the Default experiment (0) with the context tags', async () => {
    const start = Date.now();
    const body = ok(
      await call('POST', '/api/2.0/mlflow/runs/create', {
        experiment_id: '0',
        user_id: 'ada',
        start_time: start,
        tags: [
          { key: 'mlflow.user', value: 'ada' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.source.git.commit', value: '3f2a9c1' },
        ],
      }),
    );
    expect(body.run.info).toMatchObject({ experiment_id: '0', user_id: 'ada', status: 'RUNNING', start_time: start, lifecycle_stage: 'active' });
    runId = body.run.info.run_id;
    artifactUri = body.run.info.artifact_uri;
    expect(body.run.info.run_uuid).toBe(runId);
    // the proxy scheme makes the client upload through /api/2.0/mlflow-artifacts
    expect(artifactUri).toBe(`mlflow-artifacts:/0/${runId}/artifacts`);
    // a server-chosen run name, kept in the mlflow.runName tag as MLflow does
    expect(body.run.info.run_name).toEqual(expect.any(String));
    expect(body.run.data.tags).toContainEqual({ key: 'mlflow.runName', value: body.run.info.run_name });
  });

  it('log_param("lr", 0.01): runs/log-parameter with the value as a string', async () => {
    expect(ok(await call('POST', '/api/2.0/mlflow/runs/log-parameter', { run_uuid: runId, run_id: runId, key: 'lr', value: '0.01' }))).toEqual({});
  });

  it('log_metric("rmse", 0.5): runs/log-metric with timestamp and step 0', async () => {
    expect(ok(await call('POST', '/api/2.0/mlflow/runs/log-metric', { run_uuid: runId, run_id: runId, key: 'rmse', value: 0.5, timestamp: Date.now(), step: 0 }))).toEqual({});
  });

  it('log_artifact(...): runs/get for the artifact_uri, then a PUT through the proxy', async () => {
    const run = ok(await call('GET', '/api/2.0/mlflow/runs/get', { run_uuid: runId, run_id: runId }));
    expect(run.run.info.artifact_uri).toBe(artifactUri);
    await putArtifact(run.run.info.artifact_uri, 'output.txt', Buffer.from('Hello world!'), 'text/plain');
    await putArtifact(run.run.info.artifact_uri, 'model/model.pkl', pickled, 'application/octet-stream');
  });

  it('end_run(): runs/update to FINISHED with an end_time', async () => {
    const end = Date.now();
    const body = ok(await call('POST', '/api/2.0/mlflow/runs/update', { run_uuid: runId, run_id: runId, status: 'FINISHED', end_time: end }));
    expect(body.run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: end });
  });

  it('what was logged reads back through runs/get', async () => {
    const { run } = ok(await call('GET', '/api/2.0/mlflow/runs/get', { run_uuid: runId, run_id: runId }));
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.metrics).toEqual([{ key: 'rmse', value: 0.5, timestamp: expect.any(Number), step: 0 }]);
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.user', value: 'ada' }, { key: 'mlflow.source.git.commit', value: '3f2a9c1' }]));
  });

  it('register_model("runs:/<id>/model", "fraud-scorer"): create the model, resolve the source, create a READY version', async () => {
    ok(await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud-scorer' }));
    // RunsArtifactRepository.get_underlying_uri: the run's artifact_uri + the path
    const run = ok(await call('GET', '/api/2.0/mlflow/runs/get', { run_uuid: runId, run_id: runId }));
    const source = `${run.run.info.artifact_uri}/model`;
    const { model_version } = ok(await call('POST', '/api/2.0/mlflow/model-versions/create', { name: 'fraud-scorer', source, run_id: runId }));
    // READY at once: `_await_model_version_creation` polls only while PENDING_REGISTRATION
    expect(model_version).toMatchObject({ name: 'fraud-scorer', version: '1', source, run_id: runId, status: 'READY', current_stage: 'None' });
  });

  it('register_model again: RESOURCE_ALREADY_EXISTS (which the client skips), then version 2', async () => {
    const again = await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fraud-scorer' });
    expect(again.statusCode).toBe(400);
    expect(again.json()).toEqual({ error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.any(String) });
    const source = `${artifactUri}/model`;
    const { model_version } = ok(await call('POST', '/api/2.0/mlflow/model-versions/create', { name: 'fraud-scorer', source, run_id: runId }));
    expect(model_version.version).toBe('2');
  });

  it('download_artifacts("models:/fraud-scorer/1"): download URI, list, then GET each file', async () => {
    const { artifact_uri } = ok(await call('GET', '/api/2.0/mlflow/model-versions/get-download-uri', { name: 'fraud-scorer', version: '1' }));
    expect(artifact_uri).toBe(`${artifactUri}/model`);
    const root = artifact_uri.replace(/^mlflow-artifacts:\//, '');
    const listing = ok(await t.app.inject({ method: 'GET', url: `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(root)}`, headers: t.auth() }));
    expect(listing).toEqual({ files: [{ path: 'model.pkl', is_dir: false, file_size: pickled.length }] });
    const file = await t.app.inject({ method: 'GET', url: `/api/2.0/mlflow-artifacts/artifacts/${root}/model.pkl`, headers: t.auth() });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(pickled)).toBe(true);
  });

  it('the registered version is signed over the files the client uploaded', async () => {
    const version = await t.services.models.getVersion('default', 'fraud-scorer', 1);
    expect(version.files).toEqual([{ name: 'model.pkl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: pickled.length }]);
    expect(version.signature).not.toBeNull();
  });
});

describe('mlflow.set_experiment("fraud") then start_run()', () => {
  it('get-by-name answers RESOURCE_DOES_NOT_EXIST, the client creates it, re-reads it, and runs in it', async () => {
    const missing = await call('GET', '/api/2.0/mlflow/experiments/get-by-name', { experiment_name: 'fraud' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const { experiment_id } = ok(await call('POST', '/api/2.0/mlflow/experiments/create', { name: 'fraud' }));
    const { experiment } = ok(await call('GET', '/api/2.0/mlflow/experiments/get', { experiment_id }));
    expect(experiment).toMatchObject({ experiment_id, name: 'fraud', lifecycle_stage: 'active', artifact_location: `mlflow-artifacts:/${experiment_id}` });
    const { run } = ok(await call('POST', '/api/2.0/mlflow/runs/create', { experiment_id, start_time: Date.now(), tags: [], run_name: 'baseline' }));
    expect(run.info).toMatchObject({ experiment_id, run_name: 'baseline', artifact_uri: `mlflow-artifacts:/${experiment_id}/${run.info.run_id}/artifacts` });
    // mlflow.search_runs(): POST runs/search over the active experiment
    const found = ok(await call('POST', '/api/2.0/mlflow/runs/search', { experiment_ids: [experiment_id], filter: "attributes.run_name = 'baseline'", run_view_type: 'ACTIVE_ONLY', max_results: 1000, order_by: [] }));
    expect(found.runs.map((r: any) => r.info.run_id)).toEqual([run.info.run_id]);
  });
});
