import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type FalajConfig } from '../../src/core/config/index.js';
import { buildApp, type FalajApp } from '../../src/server/index.js';
import { PROJECT, servingApp, system, type ServingApp } from './serving-app.js';

/** A second replica over the first one's storage, started with only the serving role. */
async function servingReplica(s: ServingApp): Promise<FalajApp> {
  const { config } = loadConfig({ env: {}, cwd: s.t.dataDir, flags: { dataDir: s.t.dataDir, 'server.role': 'serving', 'serving.refreshMs': 50, 'training.localPool': false } });
  const replica = await buildApp(config as FalajConfig, { logger: false });
  await replica.services.serving.start();
  return replica;
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 200 && !ok(value); i++) {
    await new Promise((r) => setTimeout(r, 25));
    value = await probe();
  }
  return value;
}

describe('falaj up --role serving: a replica that only serves', () => {
  let s: ServingApp;
  let replica: FalajApp;
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    s = await servingApp();
    v1 = (await s.register('eta', { seed: 1 })).version;
    v2 = (await s.register('eta', { seed: 2 })).version;
    await s.deploy({ name: 'eta', model: 'eta', routes: [{ name: 'main', version: v1 }] });
    replica = await servingReplica(s);
  });
  afterAll(async () => {
    await replica?.close();
    await s?.dispose();
  });

  const predictOn = (app: FalajApp) => app.app.inject({ method: 'POST', url: `/api/v1/projects/${PROJECT}/deployments/eta/predict`, headers: s.t.auth(), payload: { entities: { driver_id: 4 } } });

  it('serves predictions and OIP, and nothing else of the API', async () => {
    const res = await until(() => predictOn(replica), (r) => r.statusCode === 200);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().modelVersion).toBe(v1);
    expect((await replica.app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    const notHere = await replica.app.inject({ method: 'GET', url: `/api/v1/projects/${PROJECT}/models`, headers: s.t.auth() });
    expect(notHere.statusCode).toBe(404);
    expect(notHere.json().code).toBe('FALAJ_ROUTE_NOT_FOUND');
  });

  it('follows a change made on another replica without a restart', async () => {
    await s.deploy({ name: 'eta', model: 'eta', routes: [{ name: 'main', version: v2 }] });
    const res = await until(() => predictOn(replica), (r) => r.json().modelVersion === v2);
    expect(res.json().modelVersion).toBe(v2);
  });

  it('follows an alias when it moves', async () => {
    await s.t.services.modelAliases.setAlias(system, PROJECT, 'eta', 'live', v1);
    await s.deploy({ name: 'eta', model: 'eta', routes: [{ name: 'main', alias: 'live' }] });
    expect((await until(() => predictOn(replica), (r) => r.json().modelVersion === v1)).json().modelVersion).toBe(v1);
    await s.t.services.modelAliases.setAlias(system, PROJECT, 'eta', 'live', v2);
    expect((await until(() => predictOn(replica), (r) => r.json().modelVersion === v2)).json().modelVersion).toBe(v2);
  });

  it('stops serving a deleted deployment', async () => {
    const del = await s.inject('DELETE', `/api/v1/projects/${PROJECT}/deployments/eta`);
    expect(del.statusCode).toBe(204);
    expect((await until(() => predictOn(replica), (r) => r.statusCode === 404)).json().code).toBe('FALAJ_DEPLOYMENT_NOT_FOUND');
  });
});
