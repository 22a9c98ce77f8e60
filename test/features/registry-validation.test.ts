import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/security/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';
import { applyOk, driver, driverStats, flights, post, route, routeStats, trips, type Spec } from './fixtures.js';

const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

const secretTrips: Spec = { ...trips, name: 'secret_trips', classification: 'confidential' };

/** One submission with every kind of problem, each in its own document. */
const BROKEN: Spec[] = [
  driver, // #1
  trips, // #2
  secretTrips, // #3
  driverStats({ name: 'v_unknown_entity', entities: ['ghost'] }), // #4
  driverStats({ name: 'v_unknown_source', source: 'nowhere' }), // #5
  driverStats({ name: 'v_bad_type', features: [{ name: 'trips_today', type: 'varchar', column: 'trips' }] }), // #6
  { ...driver, description: 'declared again' }, // #7
  driverStats({ name: 'v_bad_agg', features: [{ name: 'n_trips', type: 'float64', aggregation: { function: 'count', column: 'trips', window: '1d' } }] }), // #8
  driverStats({ name: 'v_downgrade', source: 'secret_trips', classification: 'internal' }), // #9
  { kind: 'FeatureService', name: 's_unknown_view', features: ['ghost_view:*'] }, // #10
  driverStats({ name: 'v_missing_column', features: [{ name: 'tips', type: 'float64', column: 'tip_amount' }] }), // #11
];

const EXPECTED: { object: string; origin: string; message: RegExp }[] = [
  { object: 'FeatureView/v_unknown_entity', origin: 'features.yaml#4', message: /unknown entity ghost/ },
  { object: 'FeatureView/v_unknown_source', origin: 'features.yaml#5', message: /unknown source nowhere/ },
  { object: 'FeatureView/v_bad_type', origin: 'features.yaml#6', message: /features\.0\.type: must be one of .*varchar/ },
  { object: 'Entity/driver', origin: 'features.yaml#7', message: /declared more than once/ },
  { object: 'FeatureView/v_bad_agg', origin: 'features.yaml#8', message: /count aggregation cannot have type float64/ },
  { object: 'FeatureView/v_downgrade', origin: 'features.yaml#9', message: /classification internal is below its source's \(confidential\)/ },
  { object: 'FeatureService/s_unknown_view', origin: 'features.yaml#10', message: /unknown feature view ghost_view/ },
  { object: 'FeatureView/v_missing_column', origin: 'features.yaml#11', message: /column tip_amount is not in push source trips/ },
];

describe.each(ENGINES)('feature definition validation on $name metadata', (engine) => {
  let t: TestApp;
  afterEach(async () => {
    await t.dispose();
  });

  const list = async () => (await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/features', headers: t.auth() })).json().objects as { name: string; version: number }[];
  const audit = async (action: string) => (await t.services.audit.list({ project: 'default', limit: 1000 })).filter((e) => e.action === action);

  it('reports every problem at once, each with its object and origin', async () => {
    t = await createTestApp(engine);
    const res = await post(t, 'plan', BROKEN);
    expect(res.statusCode, res.body).toBe(200);
    const errors = res.json().errors as { object: string; origin?: string; message: string }[];
    for (const want of EXPECTED) {
      expect(errors.some((e) => e.object === want.object && e.origin === want.origin && want.message.test(e.message)), `${want.object}: ${want.message} in ${JSON.stringify(errors)}`).toBe(true);
    }
    expect(errors).toHaveLength(EXPECTED.length);
    expect(await list()).toEqual([]);
  });

  it('refuses to apply invalid definitions with 422 and every error, writing nothing', async () => {
    t = await createTestApp(engine);
    const res = await post(t, 'apply', BROKEN);
    expect(res.statusCode, res.body).toBe(422);
    const body = res.json();
    expect(body.code).toBe('FALAJ_FEATURE_DEFINITIONS_INVALID');
    expect(body.details.errors).toHaveLength(EXPECTED.length);
    expect(body.details.errors).toEqual((await post(t, 'plan', BROKEN)).json().errors);
    expect(await list()).toEqual([]);
    expect((await t.services.audit.list({ project: 'default', limit: 1000 })).filter((e) => e.action.startsWith('feature.'))).toEqual([]);
  });

  it('applies all or nothing: one bad object keeps the good changes out too', async () => {
    t = await createTestApp(engine);
    await applyOk(t, [driver, trips, driverStats()]);
    const good = driverStats({ ttl: '7d' });
    const bad = driverStats({ name: 'other_stats', entities: ['ghost'] });
    const res = await post(t, 'apply', [driver, trips, good, bad]);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().details.errors).toEqual([expect.objectContaining({ object: 'FeatureView/other_stats', origin: 'features.yaml#4' })]);
    expect((await list()).map((o) => [o.name, o.version])).toEqual([
      ['driver', 1],
      ['trips', 1],
      ['driver_stats', 1],
    ]);
  });

  describe('residency', () => {
    const flags = { regions: { local: { inCountry: true }, 'eu-west-1': { inCountry: false } }, 'online.region': 'eu-west-1' };
    const personal = driverStats({ classification: 'personal' });

    async function residencyApp() {
      t = await createTestApp(engine, flags);
      await t.services.projects.update({ principal: SYSTEM_PRINCIPAL }, 'default', { allowedRegions: ['local'] });
    }

    it('refuses a personal online view when the online store is outside the allowed regions', async () => {
      await residencyApp();
      const plan = (await post(t, 'plan', [driver, trips, personal])).json();
      expect(plan.errors).toHaveLength(1);
      expect(plan.errors[0]).toMatchObject({ object: 'FeatureView/driver_stats', origin: 'features.yaml#3' });
      expect(plan.errors[0].message).toMatch(/residency: .*personal.*eu-west-1/);

      const res = await post(t, 'apply', [driver, trips, personal]);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().code).toBe('FALAJ_FEATURE_DEFINITIONS_INVALID');
      expect(res.json().details.errors).toEqual(plan.errors);
      const violations = await audit('policy.violation');
      expect(violations).toHaveLength(1);
      expect(violations[0]).toMatchObject({ resource: 'FeatureView/driver_stats', outcome: 'denied' });
      expect(violations[0]!.details).toMatchObject({ classification: 'personal', store: 'online', region: 'eu-west-1' });
      expect(await list()).toEqual([]);
    });

    it('accepts the same view classified public, or kept offline', async () => {
      await residencyApp();
      expect((await post(t, 'plan', [driver, trips, driverStats({ classification: 'personal', online: false })])).json().errors).toEqual([]);
      await applyOk(t, [driver, trips, driverStats()]);
      expect(await audit('policy.violation')).toEqual([]);
      expect((await list()).map((o) => o.name)).toContain('driver_stats');
    });
  });

  it('checks cross-object rules against registered objects that were not submitted', async () => {
    t = await createTestApp(engine);
    await applyOk(t, [driver, route, trips, flights, routeStats()]);
    // the view's entity and source are registered already: submitting only the view is fine
    expect((await post(t, 'plan', [driverStats()])).json().errors).toEqual([]);
    // pruning the entity a kept view needs is an error, not a dangling reference
    const pruned = (await post(t, 'plan', [trips, flights, route, routeStats(), driverStats()], true)).json();
    expect(pruned.errors).toEqual([expect.objectContaining({ object: 'FeatureView/driver_stats', message: expect.stringMatching(/unknown entity driver/) })]);
  });
});
