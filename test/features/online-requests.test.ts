import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyOk, driverStats } from './fixtures.js';
import { DEFINITIONS, driverKey, HOUR, ONLINE_STORES, onlineTestApp, T0, type OnlineTestApp } from './online-setup.js';

describe.each(ONLINE_STORES)('online retrieval requests on the $name online store', (store) => {
  let o: OnlineTestApp;
  beforeAll(async () => {
    o = await onlineTestApp(store);
  });
  afterAll(async () => {
    await o.dispose();
  });

  const route = { featureService: 'driver_model' };
  const expectProblem = (res: { statusCode: number; body: string; json(): any }, status: number, code: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
  };

  it('rejects entity rows without every join key column the features need', async () => {
    const res = await o.online({ ...route, entities: { driver_id: [1] } });
    expectProblem(res, 422, 'FALAJ_ENTITY_ROWS_INVALID');
    expect(res.json().detail).toMatch(/destination, origin/);
    expectProblem(await o.feast({ feature_service: 'driver_model', entities: { driver_id: [1], origin: ['AUH'] } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
  });

  it('rejects ragged entity columns and zero rows', async () => {
    expectProblem(await o.online({ ...route, entities: { driver_id: [1, 2], origin: ['AUH'], destination: ['JFK', 'LHR'] } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
    expectProblem(await o.online({ features: ['driver_stats:*'], entities: { driver_id: [] } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
    expectProblem(await o.feast({ features: ['driver_stats:*'], entities: { driver_id: [] } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
  });

  it('accepts 10,000 entity rows and rejects 10,001 with FALAJ_ENTITY_ROWS_INVALID', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
    const ok = await o.online({ features: ['driver_stats:trips_today'], entities: { driver_id: ids(10_000) } });
    expect(ok.statusCode, ok.body.slice(0, 500)).toBe(200);
    expect(ok.json().results[1].statuses).toHaveLength(10_000);
    expectProblem(await o.online({ features: ['driver_stats:trips_today'], entities: { driver_id: ids(10_001) } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
    expectProblem(await o.feast({ features: ['driver_stats:trips_today'], entities: { driver_id: ids(10_001) } }), 422, 'FALAJ_ENTITY_ROWS_INVALID');
  });

  it('needs exactly one of a feature service or a features list (400)', async () => {
    const entities = { driver_id: [1] };
    expectProblem(await o.online({ featureService: 'driver_model', features: ['driver_stats:*'], entities }), 400, 'FALAJ_BAD_REQUEST');
    expectProblem(await o.online({ entities }), 400, 'FALAJ_BAD_REQUEST');
    expectProblem(await o.feast({ feature_service: 'driver_model', features: ['driver_stats:*'], entities }), 400, 'FALAJ_BAD_REQUEST');
    expectProblem(await o.feast({ entities }), 400, 'FALAJ_BAD_REQUEST');
  });

  it('answers 404 FALAJ_FEATURE_SERVICE_NOT_FOUND for an unknown feature service', async () => {
    expectProblem(await o.online({ featureService: 'no_such_model', entities: { driver_id: [1] } }), 404, 'FALAJ_FEATURE_SERVICE_NOT_FOUND');
    expectProblem(await o.feast({ feature_service: 'no_such_model', entities: { driver_id: [1] } }), 404, 'FALAJ_FEATURE_SERVICE_NOT_FOUND');
  });

  it('refuses a view declared online: false (422), by service or by feature list', async () => {
    const byService = await o.online({ featureService: 'fares_model', entities: { driver_id: [1] } });
    expect(byService.statusCode, byService.body).toBe(422);
    expect(byService.json().detail).toMatch(/driver_fares.*not online/);
    const byList = await o.feast({ features: ['driver_fares:fare'], entities: { driver_id: [1] } });
    expect(byList.statusCode, byList.body).toBe(422);
  });
});

describe.each(ONLINE_STORES)('online retrieval after a view changes, on the $name online store', (store) => {
  let o: OnlineTestApp;
  afterEach(async () => {
    await o.dispose();
  });

  it('serves a feature service with the view as last applied (new features, new TTL)', async () => {
    o = await onlineTestApp(store);
    const ts = T0.getTime() - 2 * HOUR;
    await o.write([{ entityKey: driverKey(7001), view: 'driver_stats', eventTs: ts, values: { trips_today: 4, avg_rating: 4.5, fare: 12.5 } }]);
    const ask = async () => {
      const res = await o.online({ featureService: 'driver_model', entities: { driver_id: [7001], origin: ['AUH'], destination: ['JFK'] } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { featureNames: string[]; results: { values: unknown[]; statuses: string[] }[] };
    };
    const before = await ask();
    expect(before.featureNames).not.toContain('fare');
    expect(before.results[3]!.statuses).toEqual(['OUTSIDE_MAX_AGE']); // 2h old, TTL 1h

    // driver_stats v2: a third feature and a 1 day TTL; the service (driver_stats:*) is unchanged
    const v2 = driverStats({ ttl: '1d', features: [...(driverStats().features as object[]), { name: 'fare', type: 'float64' }] });
    await applyOk(o.t, DEFINITIONS.map((s) => (s.kind === 'FeatureView' && s.name === 'driver_stats' ? v2 : s)));
    const after = await ask();
    expect(after.featureNames).toEqual(['driver_id', 'destination', 'origin', 'trips_today', 'avg_rating', 'fare', 'city', 'route_distance']);
    expect(after.results[3]!).toMatchObject({ values: [4], statuses: ['PRESENT'] });
    expect(after.results[5]!).toMatchObject({ values: [12.5], statuses: ['PRESENT'] });
  });
});
