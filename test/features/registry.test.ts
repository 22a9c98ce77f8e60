import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/security/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';
import { applyOk, driver, driverModel, driverStats, flights, post, route, routeStats, trips, type Spec } from './fixtures.js';

const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

const ALL: Spec[] = [driver, route, trips, flights, driverStats(), routeStats(), driverModel];
const LABELS = ALL.map((s) => `${s.kind}/${s.name}`);

describe.each(ENGINES)('feature registry (plan / apply) on $name metadata', (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp(engine);
  });
  afterEach(async () => {
    await t.dispose();
  });

  const list = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/projects/default/features${query}`, headers: t.auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().objects as { kind: string; name: string; version: number; spec: Record<string, unknown> }[];
  };
  const describeObject = (kind: string, name: string) => t.app.inject({ method: 'GET', url: `/api/v1/projects/default/features/${kind}/${name}`, headers: t.auth() });
  const auditActions = async (prefix: string) =>
    (await t.services.audit.list({ project: 'default', limit: 1000 })).filter((e) => e.action.startsWith(prefix)).map((e) => `${e.action} ${e.resource}`);

  it('plans every object as a create at version 1 on an empty registry, and stores nothing', async () => {
    const res = await post(t, 'plan', ALL);
    expect(res.statusCode, res.body).toBe(200);
    const plan = res.json();
    expect(plan).toMatchObject({ project: 'default', applied: false, errors: [] });
    expect(plan.items.map((i: { kind: string; name: string }) => `${i.kind}/${i.name}`).sort()).toEqual([...LABELS].sort());
    for (const item of plan.items) expect(item).toMatchObject({ action: 'create', fromVersion: null, toVersion: 1, breaking: [] });
    // the origin of each document is carried through
    expect(plan.items.find((i: { name: string }) => i.name === 'driver_stats').origin).toBe('features.yaml#5');
    expect(await list()).toEqual([]);
    expect(await auditActions('feature.')).toEqual([]);
  });

  it('applies, audits each create, and a second identical apply changes nothing', async () => {
    const first = await applyOk(t, ALL);
    expect(first.items.every((i) => i.action === 'create')).toBe(true);
    const stored = await list();
    expect(stored.map((o) => `${o.kind}/${o.name}`).sort()).toEqual([...LABELS].sort());
    expect(stored.every((o) => o.version === 1)).toBe(true);
    expect(stored.find((o) => o.name === 'driver_stats')!.spec).toEqual(driverStats());
    expect((await auditActions('feature.')).sort()).toEqual(LABELS.map((l) => `feature.create ${l}`).sort());

    const again = await applyOk(t, ALL);
    expect(again.items.map((i) => [i.action, i.fromVersion, i.toVersion])).toEqual(ALL.map(() => ['unchanged', 1, 1]));
    expect(await auditActions('feature.')).toHaveLength(LABELS.length);
    expect((await list()).every((o) => o.version === 1)).toBe(true);
  });

  it('flags int64 → string as breaking, keeps every version, and lists the newest', async () => {
    await applyOk(t, ALL);
    const changed = driverStats({ features: [{ name: 'trips_today', type: 'string', column: 'trips' }, { name: 'avg_rating', type: 'float64', column: 'rating' }] });
    const plan = (await post(t, 'plan', [driver, route, trips, flights, changed, routeStats(), driverModel])).json();
    expect(plan.errors).toEqual([]);
    const item = plan.items.find((i: { name: string }) => i.name === 'driver_stats');
    expect(item).toMatchObject({ action: 'update', fromVersion: 1, toVersion: 2, breaking: ['feature trips_today type int64 → string'] });
    expect(plan.items.filter((i: { action: string }) => i.action !== 'unchanged')).toHaveLength(1);

    await applyOk(t, [driver, route, trips, flights, changed, routeStats(), driverModel]);
    const described = await describeObject('FeatureView', 'driver_stats');
    expect(described.statusCode, described.body).toBe(200);
    const body = described.json();
    expect(body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(body.latest.version).toBe(2);
    expect(body.versions[1].spec).toEqual(driverStats());
    expect(body.latest.spec.features[0]).toEqual({ name: 'trips_today', type: 'string', column: 'trips' });
    expect(await auditActions('feature.update')).toEqual(['feature.update FeatureView/driver_stats']);

    const views = await list('?kind=FeatureView');
    expect(views.map((v) => [v.kind, v.name, v.version])).toEqual([
      ['FeatureView', 'driver_stats', 2],
      ['FeatureView', 'route_stats', 1],
    ]);
  });

  it('treats int32 → int64 as a non-breaking update', async () => {
    const narrow = driverStats({ features: [{ name: 'trips_today', type: 'int32', column: 'trips' }] });
    await applyOk(t, [driver, trips, narrow]);
    const plan = (await post(t, 'plan', [driver, trips, driverStats({ features: [{ name: 'trips_today', type: 'int64', column: 'trips' }] })])).json();
    const item = plan.items.find((i: { name: string }) => i.name === 'driver_stats');
    expect(item).toMatchObject({ action: 'update', fromVersion: 1, toVersion: 2, changes: ['feature trips_today type int32 → int64'], breaking: [] });
  });

  it('flags removing a feature as breaking', async () => {
    await applyOk(t, [driver, trips, driverStats()]);
    const plan = (await post(t, 'plan', [driver, trips, driverStats({ features: [{ name: 'trips_today', type: 'int64', column: 'trips' }] })])).json();
    const item = plan.items.find((i: { name: string }) => i.name === 'driver_stats');
    expect(item).toMatchObject({ action: 'update', toVersion: 2, breaking: ['feature avg_rating removed'] });
  });

  it('keeps objects that are not submitted, and deletes them only with prune', async () => {
    await applyOk(t, ALL);
    const without = ALL.filter((s) => s !== driverModel);
    const kept = (await post(t, 'plan', without)).json();
    expect(kept.items.map((i: { name: string }) => i.name)).not.toContain('driver_model');
    await applyOk(t, without);
    expect((await list('?kind=FeatureService')).map((o) => o.name)).toEqual(['driver_model']);

    const pruned = (await post(t, 'plan', without, true)).json();
    expect(pruned.items.find((i: { name: string }) => i.name === 'driver_model')).toMatchObject({ kind: 'FeatureService', action: 'delete', fromVersion: 1, breaking: ['deleted'] });
    expect((await list('?kind=FeatureService')).map((o) => o.name)).toEqual(['driver_model']); // plan changed nothing
    await applyOk(t, without, true);
    expect(await list('?kind=FeatureService')).toEqual([]);
    expect(await auditActions('feature.delete')).toEqual(['feature.delete FeatureService/driver_model']);
  });

  it('re-creates an object that prune deleted', async () => {
    await applyOk(t, ALL);
    await applyOk(t, ALL.filter((s) => s !== driverModel), true);
    const res = await post(t, 'apply', ALL);
    expect(res.statusCode, res.body).toBe(200);
    // numbering continues after the tombstone (v2), so every earlier version stays addressable
    expect(res.json().items.find((i: { name: string }) => i.name === 'driver_model')).toMatchObject({ action: 'create', fromVersion: null, toVersion: 3 });
    expect((await list('?kind=FeatureService')).map((o) => [o.name, o.version])).toEqual([['driver_model', 3]]);
    expect((await describeObject('FeatureService', 'driver_model')).json().versions.map((v: { version: number }) => v.version)).toEqual([3, 1]);
  });

  it('lets a viewer plan and list, but not apply', async () => {
    await applyOk(t, ALL);
    const { token } = await t.services.tokens.create({ principal: SYSTEM_PRINCIPAL }, { project: 'default', role: 'viewer' });
    expect((await post(t, 'plan', ALL, false, token)).statusCode).toBe(200);
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/features', headers: t.auth(token) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().objects).toHaveLength(ALL.length);
    const changed = driverStats({ ttl: '2d' });
    const res = await post(t, 'apply', [driver, route, trips, flights, changed, routeStats(), driverModel], false, token);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('FALAJ_PERMISSION_DENIED');
    expect((await list('?kind=FeatureView')).find((o) => o.name === 'driver_stats')!.version).toBe(1);
  });
});
