import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, ConflictError, FalajError, InputError, IntegrityError, NotAllowedError, NotFoundError, PayloadTooLargeError, UnavailableError, UnprocessableError } from '../../src/core/errors/index.js';
import { toMlflowError } from '../../src/mlflow/index.js';
import { SYSTEM_PRINCIPAL, type Role } from '../../src/security/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * MLflow's error format on the MLflow routes: `{"error_code", "message"}` with MLflow's
 * status codes (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS), as the client's
 * `verify_rest_response` reads it; problem details everywhere else.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

const tokenFor = async (role: Role, project = 'default') => (await t.services.tokens.create({ principal: SYSTEM_PRINCIPAL }, { project, role })).token;
const post = (url: string, body: unknown, headers: Record<string, string> = t.auth()) =>
  t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

function expectMlflowError(res: LightMyRequestResponse, status: number, code: string): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(body).toEqual({ error_code: code, message: expect.any(String) });
  expect(body.message.length).toBeGreaterThan(0);
  return body.message;
}

async function newRun(): Promise<{ experimentId: string; runId: string }> {
  const { run } = (await post('/api/2.0/mlflow/runs/create', { experiment_id: '0' })).json();
  return { experimentId: run.info.experiment_id, runId: run.info.run_id };
}

describe('MLflow error format', () => {
  it('no credentials: 401 UNAUTHENTICATED', async () => {
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' }), 401, 'UNAUTHENTICATED');
  });

  it('a token that does not verify: 401 UNAUTHENTICATED, on the artifact proxy too', async () => {
    const bad = { authorization: 'Bearer flj_not-a-real-token-at-all-aaaaaaaaaaaaaaaaaaa' };
    expectMlflowError(await post('/api/2.0/mlflow/experiments/search', {}, bad), 401, 'UNAUTHENTICATED');
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow-artifacts/artifacts?path=0/x/artifacts', headers: bad }), 401, 'UNAUTHENTICATED');
  });

  it('a viewer writing: 403 PERMISSION_DENIED, and the refusal is audited', async () => {
    const viewer = await tokenFor('viewer');
    const message = expectMlflowError(await post('/api/2.0/mlflow/experiments/create', { name: 'nope' }, t.auth(viewer)), 403, 'PERMISSION_DENIED');
    expect(message).toMatch(/run:write/);
    const events = await t.services.database.db.selectFrom('audit_events').selectAll().where('outcome', '=', 'denied').execute();
    expect(events.some((e) => e.action === 'http.post' && e.resource === '/api/2.0/mlflow/experiments/create')).toBe(true);
  });

  it('a viewer downloading an artifact: 403 (artifact:read is editor, deployer, auditor, admin)', async () => {
    const { experimentId, runId } = await newRun();
    const path = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/a.txt`;
    await t.app.inject({ method: 'PUT', url: path, headers: { ...t.auth(), 'content-type': 'text/plain' }, payload: 'x' });
    expectMlflowError(await t.app.inject({ method: 'GET', url: path, headers: t.auth(await tokenFor('viewer')) }), 403, 'PERMISSION_DENIED');
    expect((await t.app.inject({ method: 'GET', url: path, headers: t.auth(await tokenFor('editor')) })).body).toBe('x');
  });

  it('an unknown endpoint: 404 ENDPOINT_NOT_FOUND (what the client falls through on)', async () => {
    expectMlflowError(await post('/api/2.0/mlflow/model-versions/transition-stage', { name: 'm', version: '1', stage: 'Production' }), 404, 'ENDPOINT_NOT_FOUND');
    expectMlflowError(await post('/api/2.0/mlflow/logged-models/search', {}), 404, 'ENDPOINT_NOT_FOUND');
    expectMlflowError(await post('/api/2.0/mlflow-artifacts/mpu/create/0/x/artifacts/f', {}), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('a missing resource: 404 RESOURCE_DOES_NOT_EXIST', async () => {
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=424242', headers: t.auth() }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow/registered-models/get?name=ghost', headers: t.auth() }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('a duplicate: 400 RESOURCE_ALREADY_EXISTS (MLflow answers 400, not 409)', async () => {
    await post('/api/2.0/mlflow/experiments/create', { name: 'twice' });
    expectMlflowError(await post('/api/2.0/mlflow/experiments/create', { name: 'twice' }), 400, 'RESOURCE_ALREADY_EXISTS');
  });

  it('malformed JSON: 400 MALFORMED_REQUEST', async () => {
    expectMlflowError(await post('/api/2.0/mlflow/experiments/create', '{"name": '), 400, 'MALFORMED_REQUEST');
  });

  it('a field of the wrong type or a missing required one: 400 INVALID_PARAMETER_VALUE naming it', async () => {
    const { runId } = await newRun();
    expect(expectMlflowError(await post('/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'm', value: 'high', timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE')).toMatch(/value/);
    expect(expectMlflowError(await post('/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'm', value: 1 }), 400, 'INVALID_PARAMETER_VALUE')).toMatch(/timestamp/);
    expect(expectMlflowError(await post('/api/2.0/mlflow/runs/log-parameter', { key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE')).toMatch(/run_id/);
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/search?max_results=lots', headers: t.auth() }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('fields the server does not read are accepted, as MLflow does (newer clients send more)', async () => {
    const { runId } = await newRun();
    const res = await post('/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1, step: 0, model_id: 'm-1', dataset_name: 'd', dataset_digest: 'abc' });
    expect(res.statusCode, res.body).toBe(200);
  });

  it("MLflow's limits: a log-batch over 1000 metrics is INVALID_PARAMETER_VALUE and writes nothing", async () => {
    const { runId } = await newRun();
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'loss', value: i, timestamp: 1, step: i }));
    expect(expectMlflowError(await post('/api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics }), 400, 'INVALID_PARAMETER_VALUE')).toMatch(/1000/);
    const history = await t.app.inject({ method: 'GET', url: `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss`, headers: t.auth() });
    expect(history.json()).toEqual({});
  });

  it('writing to a deleted run: INVALID_PARAMETER_VALUE, as MLflow', async () => {
    const { runId } = await newRun();
    await post('/api/2.0/mlflow/runs/delete', { run_id: runId });
    expectMlflowError(await post('/api/2.0/mlflow/runs/set-tag', { run_id: runId, key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('an artifact path outside a run: INVALID_PARAMETER_VALUE', async () => {
    expectMlflowError(await t.app.inject({ method: 'GET', url: '/api/2.0/mlflow-artifacts/artifacts?path=0', headers: t.auth() }), 400, 'INVALID_PARAMETER_VALUE');
    expectMlflowError(await t.app.inject({ method: 'PUT', url: '/api/2.0/mlflow-artifacts/artifacts/0/abc/other/f.txt', headers: { ...t.auth(), 'content-type': 'text/plain' }, payload: 'x' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('an artifact whose stored bytes are gone: DATA_LOSS, audited as tampering', async () => {
    const { experimentId, runId } = await newRun();
    const path = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/weights.bin`;
    const put = await t.app.inject({ method: 'PUT', url: path, headers: { ...t.auth(), 'content-type': 'application/octet-stream' }, payload: Buffer.from('unique weights 5e1f0c') });
    expect(put.statusCode, put.body).toBe(200);
    const { sha256 } = (await t.services.artifacts.list('default', runId, ''))[0]!;
    for (const file of await findFiles(t.dataDir, sha256)) await rm(file);
    const message = expectMlflowError(await t.app.inject({ method: 'GET', url: path, headers: t.auth() }), 422, 'DATA_LOSS');
    expect(message).toMatch(/integrity/);
  });

  it('the rest of the API keeps RFC 9457 problem details', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/projects/ghost', headers: t.auth() });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'FALAJ_PROJECT_NOT_FOUND' });
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/nope', headers: t.auth() });
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('toMlflowError: Falaj errors → MLflow codes and statuses', () => {
  const cases: [FalajError, number, string][] = [
    [new InputError('FALAJ_VALIDATION_FAILED', 'x'), 400, 'INVALID_PARAMETER_VALUE'],
    [new InputError('FALAJ_FILTER_INVALID', 'x'), 400, 'INVALID_PARAMETER_VALUE'],
    [new AuthenticationError('FALAJ_TOKEN_EXPIRED', 'x'), 401, 'UNAUTHENTICATED'],
    [new NotAllowedError('FALAJ_PERMISSION_DENIED', 'x'), 403, 'PERMISSION_DENIED'],
    [new NotFoundError('FALAJ_RUN_NOT_FOUND', 'x'), 404, 'RESOURCE_DOES_NOT_EXIST'],
    [new ConflictError('FALAJ_EXPERIMENT_EXISTS', 'x'), 400, 'RESOURCE_ALREADY_EXISTS'],
    [new ConflictError('FALAJ_MODEL_EXISTS', 'x'), 400, 'RESOURCE_ALREADY_EXISTS'],
    [new ConflictError('FALAJ_PARAM_IMMUTABLE', 'x'), 400, 'INVALID_PARAMETER_VALUE'],
    [new ConflictError('FALAJ_MATERIALIZATION_BUSY', 'x'), 409, 'RESOURCE_CONFLICT'],
    [new UnprocessableError('FALAJ_VALIDATION_FAILED', 'x'), 400, 'INVALID_PARAMETER_VALUE'],
    [new IntegrityError('FALAJ_SIGNATURE_INVALID', 'x'), 422, 'DATA_LOSS'],
    [new PayloadTooLargeError('FALAJ_PAYLOAD_TOO_LARGE', 'x'), 413, 'INVALID_PARAMETER_VALUE'],
    [new UnavailableError('FALAJ_UNAVAILABLE', 'x'), 503, 'TEMPORARILY_UNAVAILABLE'],
  ];
  it.each(cases)('%s', (err, status, code) => {
    expect(toMlflowError(err, 'req-1', '/p')).toMatchObject({ status, body: { error_code: code, message: 'x' } });
  });

  it('an unexpected error is a 500 INTERNAL_ERROR that reveals only the request id', () => {
    const { status, body } = toMlflowError(new Error('db password is hunter2'), 'req-42', '/p');
    expect(status).toBe(500);
    expect(body.error_code).toBe('INTERNAL_ERROR');
    expect(body.message).toContain('req-42');
    expect(body.message).not.toContain('hunter2');
  });
});

async function findFiles(dir: string, needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.includes(needle)) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}
