import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/security/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The tracking API over HTTP (app.inject): shapes, status codes, problem details, access. */
describe('tracking HTTP API', () => {
  let app: TestApp;
  let viewer: string;
  let outsider: string;
  const P = '/api/v1/projects/default';

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token?: string) => {
    const res = await app.app.inject({ method, url, headers: app.auth(token), ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}) });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.body ? (JSON.parse(res.body) as Record<string, any>) : undefined };
  };

  beforeAll(async () => {
    app = await createTestApp();
    const system = { principal: SYSTEM_PRINCIPAL };
    viewer = (await app.services.tokens.create(system, { project: 'default', role: 'viewer' })).token;
    await app.services.projects.create(system, { name: 'elsewhere' });
    outsider = (await app.services.tokens.create(system, { project: 'elsewhere', role: 'editor' })).token;
  });
  afterAll(async () => app?.dispose());

  it('runs the experiment lifecycle', async () => {
    const created = await call('POST', `${P}/experiments`, { name: 'churn', tags: { team: 'risk' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'churn', mlflowId: '1', lifecycleStage: 'active', tags: { team: 'risk' }, artifactLocation: 'mlflow-artifacts:/1' });
    const id = created.body!.id as string;
    expect((await call('GET', `${P}/experiments/${id}`)).body).toEqual(created.body);
    expect((await call('GET', `${P}/experiments/by-name?name=churn`)).body!.id).toBe(id);
    expect((await call('POST', `${P}/experiments`, { name: 'churn' })).body).toMatchObject({ status: 409, code: 'FALAJ_EXPERIMENT_EXISTS' });

    await call('POST', `${P}/experiments`, { name: 'fraud' });
    const listed = await call('GET', `${P}/experiments?filter=${encodeURIComponent("name LIKE 'ch%' or tags.team = 'nobody'")}&orderBy=name`);
    expect(listed.body!.experiments.map((e: { name: string }) => e.name)).toEqual(['churn']);
    const paged = await call('GET', `${P}/experiments?orderBy=name&orderBy=creation_time&maxResults=1`);
    expect(paged.body!.experiments).toHaveLength(1);
    expect(paged.body!.nextPageToken).toEqual(expect.any(String));

    expect((await call('PATCH', `${P}/experiments/${id}`, { name: 'churn-v2' })).body!.name).toBe('churn-v2');
    expect((await call('POST', `${P}/experiments/${id}/tags`, { key: 'owner', value: 'amal' })).body!.tags).toEqual({ team: 'risk', owner: 'amal' });
    expect((await call('DELETE', `${P}/experiments/${id}/tags?key=owner`)).body!.tags).toEqual({ team: 'risk' });
    expect((await call('DELETE', `${P}/experiments/${id}`)).body!.lifecycleStage).toBe('deleted');
    expect((await call('GET', `${P}/experiments?viewType=DELETED_ONLY`)).body!.experiments.map((e: { id: string }) => e.id)).toEqual([id]);
    expect((await call('POST', `${P}/experiments/${id}/restore`)).body!.lifecycleStage).toBe('active');
    expect((await call('GET', `${P}/experiments/exp_00000000000000000000000000`)).body).toMatchObject({ status: 404, code: 'FALAJ_EXPERIMENT_NOT_FOUND' });
  });

  it('starts a run, logs a batch (NaN and Infinity as strings), reads it back and searches', async () => {
    const experimentId = (await call('POST', `${P}/experiments`, { name: 'runs-http' })).body!.id as string;
    const created = await call('POST', `${P}/runs`, { experimentId, name: 'xgb-1', tags: { team: 'risk' }, sourceVersion: 'deadbeef' });
    expect(created.status).toBe(201);
    const run = created.body!.info.id as string;
    expect(created.body).toMatchObject({ info: { name: 'xgb-1', status: 'RUNNING', endTime: null }, data: { tags: { 'mlflow.source.git.commit': 'deadbeef' } }, inputs: [] });

    const before = Date.now();
    const logged = await call('POST', `${P}/runs/${run}/log-batch`, {
      metrics: [
        { key: 'auc', value: 0.91, step: 1, timestamp: 1_000 },
        { key: 'loss', value: 'NaN' },
        { key: 'grad', value: '-Infinity', step: 3 },
      ],
      params: [{ key: 'lr', value: '0.01' }],
      tags: [{ key: 'stage', value: 'train' }],
    });
    expect(logged.status).toBe(204);
    expect(logged.body).toBeUndefined();
    await call('POST', `${P}/runs/${run}/metrics`, { key: 'auc', value: 0.93, step: 2, timestamp: 2_000 });
    expect((await call('POST', `${P}/runs/${run}/params`, { key: 'depth', value: '6' })).status).toBe(204);
    expect((await call('POST', `${P}/runs/${run}/tags`, { key: 'tmp', value: '1' })).status).toBe(204);
    expect((await call('DELETE', `${P}/runs/${run}/tags?key=tmp`)).status).toBe(204);
    expect((await call('POST', `${P}/runs/${run}/inputs`, { datasets: [{ name: 'flights', digest: 'abc', sourceType: 'falaj-dataset', source: 'ds_1', tags: { 'mlflow.data.context': 'training' } }] })).status).toBe(204);

    const got = (await call('GET', `${P}/runs/${run}`)).body!;
    expect(got.data.params).toEqual({ lr: '0.01', depth: '6' });
    expect(got.data.tags).toMatchObject({ team: 'risk', stage: 'train', 'mlflow.runName': 'xgb-1' });
    expect(got.data.tags).not.toHaveProperty('tmp');
    expect(got.data.metrics.auc).toEqual({ value: 0.93, step: 2, timestamp: 2_000 });
    expect(got.data.metrics.loss).toMatchObject({ value: 'NaN', step: 0 });
    expect(got.data.metrics.loss.timestamp).toBeGreaterThanOrEqual(before);
    expect(got.data.metrics.grad.value).toBe('-Infinity');
    expect(got.inputs).toEqual([{ name: 'flights', digest: 'abc', sourceType: 'falaj-dataset', source: 'ds_1', tags: { 'mlflow.data.context': 'training' } }]);

    const history = await call('GET', `${P}/runs/${run}/metrics/history?key=auc&maxResults=1`);
    expect(history.body).toMatchObject({ metrics: [{ key: 'auc', value: 0.91, step: 1 }], nextPageToken: expect.any(String) });
    const rest = await call('GET', `${P}/runs/${run}/metrics/history?key=auc&maxResults=1&pageToken=${history.body!.nextPageToken}`);
    expect(rest.body!.metrics.map((m: { value: number }) => m.value)).toEqual([0.93]);

    await call('POST', `${P}/runs`, { experimentId, name: 'xgb-2' });
    const filter = encodeURIComponent("metrics.auc > 0.9 and params.lr = '0.01'");
    const listed = await call('GET', `${P}/runs?experimentId=${experimentId}&filter=${filter}&orderBy=${encodeURIComponent('metrics.auc DESC')}`);
    expect(listed.status).toBe(200);
    expect(listed.body!.runs.map((r: { info: { id: string } }) => r.info.id)).toEqual([run]);
    const searched = await call('POST', `${P}/runs/search`, { experimentIds: [experimentId], orderBy: ['attributes.start_time ASC'], maxResults: 1 });
    expect(searched.body!.runs.map((r: { info: { name: string } }) => r.info.name)).toEqual(['xgb-1']);
    expect(searched.body!.nextPageToken).toEqual(expect.any(String));

    const ended = await call('PATCH', `${P}/runs/${run}`, { status: 'FINISHED' });
    expect(ended.body).toMatchObject({ status: 'FINISHED', endTime: expect.any(Number) });
    expect((await call('DELETE', `${P}/runs/${run}`)).body!.lifecycleStage).toBe('deleted');
    expect((await call('POST', `${P}/runs/${run}/log-batch`, { metrics: [{ key: 'x', value: 1 }] })).body).toMatchObject({ status: 409, code: 'FALAJ_RUN_NOT_ACTIVE' });
    expect((await call('POST', `${P}/runs/${run}/restore`)).body!.lifecycleStage).toBe('active');
  });

  it('answers refusals as problem details with stable codes', async () => {
    const experimentId = (await call('POST', `${P}/experiments`, { name: 'problems' })).body!.id as string;
    const run = (await call('POST', `${P}/runs`, { experimentId })).body!.info.id as string;
    await call('POST', `${P}/runs/${run}/params`, { key: 'lr', value: '0.1' });

    const immutable = await call('POST', `${P}/runs/${run}/params`, { key: 'lr', value: '0.2' });
    expect(immutable.status).toBe(409);
    expect(immutable.type).toContain('application/problem+json');
    expect(immutable.body).toMatchObject({ code: 'FALAJ_PARAM_IMMUTABLE', status: 409 });

    const tooMany = await call('POST', `${P}/runs/${run}/log-batch`, { metrics: Array.from({ length: 1_001 }, (_, i) => ({ key: 'm', value: i, step: i })) });
    expect(tooMany.body).toMatchObject({ status: 400, code: 'FALAJ_LIMIT_EXCEEDED', details: { limit: 1_000, actual: 1_001 } });

    const badFilter = await call('POST', `${P}/runs/search`, { filter: 'metrics.auc >> 1' });
    expect(badFilter.body).toMatchObject({ status: 400, code: 'FALAJ_FILTER_INVALID', details: { position: 13 } });

    expect((await call('GET', `${P}/runs/${'0'.repeat(32)}`)).body).toMatchObject({ status: 404, code: 'FALAJ_RUN_NOT_FOUND' });
    expect((await call('GET', `${P}/runs/not-a-run-id`)).body).toMatchObject({ status: 400, code: 'FALAJ_VALIDATION_FAILED' });
    expect((await call('POST', `${P}/runs/${run}/log-batch`, { metrics: [{ key: 'm', value: 'lots' }] })).body).toMatchObject({ status: 400, code: 'FALAJ_VALIDATION_FAILED' });
    expect((await call('POST', `${P}/runs/${run}/log-batch`, { metrix: [] })).body).toMatchObject({ status: 400, code: 'FALAJ_VALIDATION_FAILED' });
    expect((await call('PATCH', `${P}/runs/${run}`, { status: 'DONE' })).body).toMatchObject({ status: 400, code: 'FALAJ_VALIDATION_FAILED' });
    expect((await call('GET', `${P}/runs?maxResults=50001`)).body).toMatchObject({ status: 400, code: 'FALAJ_LIMIT_EXCEEDED' });
  });

  it('lets viewers read but not write, and no one outside the project', async () => {
    const experimentId = (await call('POST', `${P}/experiments`, { name: 'access' })).body!.id as string;
    const run = (await call('POST', `${P}/runs`, { experimentId })).body!.info.id as string;
    expect((await call('GET', `${P}/runs/${run}`, undefined, viewer)).status).toBe(200);
    expect((await call('GET', `${P}/experiments`, undefined, viewer)).status).toBe(200);
    expect((await call('POST', `${P}/runs/${run}/log-batch`, { metrics: [] }, viewer)).body).toMatchObject({ status: 403, code: 'FALAJ_PERMISSION_DENIED' });
    expect((await call('POST', `${P}/experiments`, { name: 'nope' }, viewer)).status).toBe(403);
    expect((await call('GET', `${P}/runs/${run}`, undefined, outsider)).status).toBe(403);
    // and the editor of another project cannot reach this run through its own project either
    expect((await call('GET', `/api/v1/projects/elsewhere/runs/${run}`, undefined, outsider)).body).toMatchObject({ status: 404, code: 'FALAJ_RUN_NOT_FOUND' });
  });

  it('documents every tracking route in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).body!;
    const paths = Object.keys(doc.paths as Record<string, unknown>).filter((p) => p.includes('/experiments') || p.includes('/runs'));
    expect(paths).toEqual(expect.arrayContaining([
      '/api/v1/projects/{project}/experiments',
      '/api/v1/projects/{project}/experiments/by-name',
      '/api/v1/projects/{project}/runs/search',
      '/api/v1/projects/{project}/runs/{run}/log-batch',
      '/api/v1/projects/{project}/runs/{run}/metrics/history',
    ]));
  });
});
