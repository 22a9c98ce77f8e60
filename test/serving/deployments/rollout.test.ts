import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineUrl } from '../../helpers/engines.js';
import type { MetadataEngine } from '../../helpers/app.js';
import { PROJECT, servingApp, type ServingApp } from '../serving-app.js';

const postgresUrl = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(postgresUrl ? [{ name: 'postgres' as const, url: postgresUrl }] : [])];

/** Sends `n` predictions for drivers 1…50 and returns the variant of each. */
async function traffic(s: ServingApp, deployment: string, n: number): Promise<string[]> {
  const variants: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/${deployment}/predict`, { entities: { driver_id: (i % 50) + 1 } });
    variants.push(res.statusCode === 200 ? res.json().variant : `error:${res.json().code}`);
  }
  return variants;
}

/** Flushes this replica's counts and runs one pass of the rollout controller. */
async function controllerPass(s: ServingApp) {
  await s.t.services.serving.runtime!.stats.flush();
  const actions = await s.t.services.serving.controller.tick();
  await s.t.services.serving.runtime!.live.refresh();
  return actions;
}

describe.each(ENGINES)('canary rollouts on $name', (engine) => {
  let s: ServingApp;
  let v1: number;
  let v2: number;
  let broken: number;
  beforeAll(async () => {
    s = await servingApp(engine);
    v1 = (await s.register('eta', { seed: 1 })).version;
    v2 = (await s.register('eta', { seed: 2, hidden: true })).version;
    // trained on five features: the feature service has four, so every prediction it gets fails
    broken = (await s.register('eta', { seed: 3, width: 5 })).version;
  });
  afterAll(async () => s?.dispose());

  it('steps a healthy canary through 20 → 50 → 100 % and promotes it, every transition in history and the audit log', async () => {
    // a latency floor of a minute: on a loaded CI machine one slow canary answer must not decide this test (the latency rule has its own unit test)
    await s.deploy({ name: 'eta-live', model: 'eta', mode: 'canary', routes: [{ name: 'stable', version: v1 }, { name: 'canary', version: v2 }], canary: { steps: [20, 50, 100], interval: '0', minRequests: 10, latencyFloorMs: 60_000 } });
    const seen: string[] = [];
    const actions: string[] = [];
    for (let pass = 0; pass < 10 && !actions.includes('promote'); pass++) {
      seen.push(...(await traffic(s, 'eta-live', 60)));
      actions.push(...(await controllerPass(s)).map((a) => a.action));
    }
    expect(actions.filter((a) => a !== 'wait')).toEqual(['step', 'step', 'promote']);
    expect(seen).toContain('canary');
    expect(seen).toContain('stable');
    const shown = (await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/eta-live`)).json();
    expect(shown.status.phase).toBe('promoted');
    expect(shown.spec.mode).toBe('single');
    expect(shown.spec.routes).toEqual([{ name: 'stable', version: v2 }]);
    expect(shown.previousSpec.mode).toBe('canary');
    expect(shown.traffic).toEqual([{ variant: 'stable', model: 'eta', version: v2, alias: null, weight: 100, mirror: false }]);
    expect(shown.status.history.map((h: { event: string }) => h.event)).toEqual(['created', 'step', 'step', 'promoted']);
    const after = await traffic(s, 'eta-live', 10);
    expect(new Set(after)).toEqual(new Set(['stable']));
    const res = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/eta-live/predict`, { entities: { driver_id: 1 } });
    expect(res.json().modelVersion).toBe(v2);
    const audit = await s.t.services.audit.list({ project: PROJECT, limit: 1000 });
    const actionsAudited = audit.filter((e) => e.resource === 'deployment/eta-live').map((e) => `${e.action}:${e.actor}`);
    expect(actionsAudited).toEqual(['deployment.create:' + audit.find((e) => e.action === 'deployment.create')!.actor, 'deployment.canary.step:system', 'deployment.canary.step:system', 'deployment.promote:system']);
  });

  it('rolls an unhealthy canary back on its own: stable takes all traffic again', async () => {
    await s.deploy({ name: 'eta-bad', model: 'eta', mode: 'canary', routes: [{ name: 'stable', version: v1 }, { name: 'canary', version: broken }], canary: { steps: [50, 100], interval: '1h', minRequests: 5 } });
    const during = await traffic(s, 'eta-bad', 40);
    expect(during).toContain('error:FALAJ_PREDICTION_INPUT_INVALID');
    const [pass] = await controllerPass(s);
    expect(pass).toMatchObject({ deployment: `${PROJECT}/eta-bad`, action: 'rollback' });
    expect(pass!.analysis.reasons[0]).toContain('error rate 100.00 %');
    const shown = (await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/eta-bad`)).json();
    expect(shown.status.phase).toBe('rolled-back');
    expect(shown.status.history.at(-1).detail).toContain('canary unhealthy at 50 %');
    expect(new Set(await traffic(s, 'eta-bad', 30))).toEqual(new Set(['stable']));
    const rollback = (await s.t.services.audit.list({ project: PROJECT, action: 'deployment.rollback', limit: 10 })).at(-1)!;
    expect(rollback.actor).toBe('system');
    expect(String(rollback.details.reason)).toContain('error rate');
  });

  it('shows the live analysis of a canary in progress', async () => {
    await s.deploy({ name: 'eta-slow', model: 'eta', mode: 'canary', routes: [{ name: 'stable', version: v1 }, { name: 'canary', version: v2 }], canary: { steps: [50, 100], interval: '1h', minRequests: 1000 } });
    await traffic(s, 'eta-slow', 20);
    await s.t.services.serving.runtime!.stats.flush();
    const shown = (await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/eta-slow`)).json();
    expect(shown.analysis.verdict).toBe('insufficient-data');
    expect(shown.analysis.canary.requests + shown.analysis.stable.requests).toBe(20);
    expect(shown.traffic.map((t: { variant: string; weight: number }) => `${t.variant}:${t.weight}`)).toEqual(['canary:50', 'stable:50']);
  });
});

describe('promote, rollback, A/B and shadow by hand', () => {
  let s: ServingApp;
  let v1: number;
  let v2: number;
  beforeAll(async () => {
    s = await servingApp();
    v1 = (await s.register('fare', { seed: 1 })).version;
    v2 = (await s.register('fare', { seed: 2, hidden: true })).version;
  });
  afterAll(async () => s?.dispose());

  it('keeps each driver on one variant of an A/B test, sticky by entity key', async () => {
    await s.deploy({ name: 'fare-ab', model: 'fare', mode: 'ab', sticky: { entity: 'driver_id' }, routes: [{ name: 'a', version: v1, weight: 50 }, { name: 'b', version: v2, weight: 50 }] });
    const first = await traffic(s, 'fare-ab', 50);
    const second = await traffic(s, 'fare-ab', 50);
    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['a', 'b']));
  });

  it('sticks by a header when the deployment says so', async () => {
    await s.deploy({ name: 'fare-hdr', model: 'fare', mode: 'ab', sticky: { header: 'x-user' }, routes: [{ name: 'a', version: v1, weight: 50 }, { name: 'b', version: v2, weight: 50 }] });
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      const variants = new Set<string>();
      for (let i = 0; i < 5; i++) variants.add((await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/fare-hdr/predict`, { entities: { driver_id: i + 1 } }, { 'x-user': user })).json().variant);
      expect(variants.size).toBe(1);
    }
  });

  it('promotes the winner of an A/B test by hand and rolls back to the test', async () => {
    const promoted = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/fare-ab/promote`, { variant: 'b', reason: 'b wins' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json().spec.routes).toEqual([{ name: 'b', version: v2 }]);
    await s.t.services.serving.runtime!.live.refresh();
    expect(new Set(await traffic(s, 'fare-ab', 20))).toEqual(new Set(['b']));
    const back = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/fare-ab/rollback`, { reason: 'not yet' });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().spec.mode).toBe('ab');
    const none = await s.inject('POST', `/api/v1/projects/${PROJECT}/deployments/fare-hdr/promote`, {});
    expect(none.statusCode).toBe(400);
    expect(none.json().code).toBe('FALAJ_DEPLOYMENT_NO_ROLLOUT');
  });

  it('mirrors traffic to a shadow: its answers are logged, never returned', async () => {
    await s.deploy({ name: 'fare-shadow', model: 'fare', mode: 'shadow', routes: [{ name: 'main', version: v1 }, { name: 'challenger', version: v2, mirror: true }] });
    const variants = await traffic(s, 'fare-shadow', 20);
    expect(new Set(variants)).toEqual(new Set(['main']));
    const runtime = s.t.services.serving.runtime!;
    let shadows: { shadow: boolean; variant: string; modelVersion: number; status: string }[] = [];
    for (let i = 0; i < 50 && shadows.length < 20; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await runtime.log!.flush();
      const rows = (await s.inject('GET', `/api/v1/projects/${PROJECT}/deployments/fare-shadow/predictions?limit=100`)).json().predictions;
      shadows = rows.filter((r: { shadow: boolean }) => r.shadow);
    }
    expect(shadows).toHaveLength(20);
    expect(shadows.every((r) => r.variant === 'challenger' && r.modelVersion === v2 && r.status === 'ok')).toBe(true);
  });

  it('refuses a deployment of a version that cannot be served, and one without the deployer role', async () => {
    const missing = await s.inject('PUT', `/api/v1/projects/${PROJECT}/deployments/x`, { kind: 'Deployment', name: 'x', model: 'fare', routes: [{ name: 'main', version: 99 }] });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('FALAJ_MODEL_VERSION_NOT_FOUND');
    const token = (await s.inject('POST', `/api/v1/projects/${PROJECT}/tokens`, { role: 'editor' })).json().token as string;
    const denied = await s.t.app.inject({ method: 'PUT', url: `/api/v1/projects/${PROJECT}/deployments/x`, headers: s.t.auth(token), payload: { kind: 'Deployment', name: 'x', model: 'fare', routes: [{ name: 'main', version: v1 }] } });
    expect(denied.statusCode).toBe(403);
    const invalid = await s.inject('PUT', `/api/v1/projects/${PROJECT}/deployments/x`, { kind: 'Deployment', name: 'x', model: 'fare', mode: 'ab', routes: [{ name: 'main', version: v1 }] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().code).toBe('FALAJ_DEPLOYMENT_INVALID');
  });
});
