import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OnlineRow } from '../../src/storage/online/index.js';
import { commandCalls, driverKey, HOUR, MINUTE, ONLINE_STORES, onlineTestApp, routeKey, T0, type OnlineTestApp } from './online-setup.js';

const EPOCH = '1970-01-01T00:00:00.000Z';
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(ONLINE_STORES)('online retrieval on the $name online store', (store) => {
  let o: OnlineTestApp;
  beforeAll(async () => {
    o = await onlineTestApp(store);
  });
  afterAll(async () => {
    await o.dispose();
  });
  beforeEach(() => {
    o.clock.set(T0);
  });

  it('serves a feature service: join keys first, then every feature, column-major', async () => {
    const ts = T0.getTime() - 10 * MINUTE;
    await o.write([
      { entityKey: driverKey(1001), view: 'driver_stats', eventTs: ts, values: { trips_today: 7, avg_rating: 4.8 } },
      { entityKey: driverKey(1001), view: 'driver_city', eventTs: ts - HOUR, values: { city: 'Dubai' } },
      { entityKey: routeKey('LAX', 'JFK'), view: 'route_stats', eventTs: ts, values: { route_distance: 2475, delay_mean_7d: 3.5 } },
    ]);
    const res = await o.online({ featureService: 'driver_model', entities: { driver_id: [1001, 9999], origin: ['LAX', 'LAX'], destination: ['JFK', 'SFO'] } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.featureNames).toEqual(['driver_id', 'destination', 'origin', 'trips_today', 'avg_rating', 'city', 'route_distance']);
    expect(body.results.map((r: { values: unknown[] }) => r.values)).toEqual([
      [1001, 9999],
      ['JFK', 'SFO'],
      ['LAX', 'LAX'],
      [7, null],
      [4.8, null],
      ['Dubai', null],
      [2475, null],
    ]);
    for (const join of body.results.slice(0, 3)) expect(join.statuses).toEqual(['PRESENT', 'PRESENT']);
    for (const feature of body.results.slice(3)) expect(feature.statuses).toEqual(['PRESENT', 'NOT_FOUND']);
    expect(body.results[3].eventTimestamps).toEqual([iso(ts), EPOCH]);
    expect(body.results[5].eventTimestamps).toEqual([iso(ts - HOUR), EPOCH]);
  });

  it("speaks Feast's get-online-features JSON, with features lists and full feature names", async () => {
    const ts = T0.getTime() - MINUTE;
    await o.write([
      { entityKey: driverKey(1101), view: 'driver_stats', eventTs: ts, values: { trips_today: 3, avg_rating: 4.1 } },
      { entityKey: driverKey(1101), view: 'driver_city', eventTs: ts, values: { city: 'Abu Dhabi' } },
    ]);
    const plain = await o.feast({ features: ['driver_stats:trips_today', 'driver_city:city'], entities: { driver_id: [1101] } });
    expect(plain.statusCode, plain.body).toBe(200);
    expect(plain.json()).toEqual({
      metadata: { feature_names: ['driver_id', 'trips_today', 'city'] },
      results: [
        { values: [1101], statuses: ['PRESENT'], event_timestamps: [EPOCH] },
        { values: [3], statuses: ['PRESENT'], event_timestamps: [iso(ts)] },
        { values: ['Abu Dhabi'], statuses: ['PRESENT'], event_timestamps: [iso(ts)] },
      ],
    });
    const full = await o.feast({ feature_service: 'driver_model', entities: { driver_id: [1101], origin: ['X'], destination: ['Y'] }, full_feature_names: true });
    expect(full.statusCode, full.body).toBe(200);
    expect(full.json().metadata.feature_names).toEqual([
      'driver_id',
      'destination',
      'origin',
      'driver_stats__trips_today',
      'driver_stats__avg_rating',
      'driver_city__city',
      'route_stats__route_distance',
    ]);
    expect(full.json().results.map((r: { values: unknown[] }) => r.values[0])).toEqual([1101, 'Y', 'X', 3, 4.1, 'Abu Dhabi', null]);
    const ours = await o.online({ features: ['driver_stats:*'], entities: { driver_id: [1101] }, fullFeatureNames: true });
    expect(ours.json().featureNames).toEqual(['driver_id', 'driver_stats__trips_today', 'driver_stats__avg_rating']);
  });

  it('reports a stored null as NULL_VALUE, not as missing', async () => {
    await o.write([{ entityKey: driverKey(1201), view: 'driver_stats', eventTs: T0.getTime() - MINUTE, values: { trips_today: null, avg_rating: 4.2 } }]);
    const res = await o.online({ features: ['driver_stats:*'], entities: { driver_id: [1201] } });
    const [, trips, rating] = res.json().results;
    expect(trips).toEqual({ values: [null], statuses: ['NULL_VALUE'], eventTimestamps: [iso(T0.getTime() - MINUTE)] });
    expect(rating.statuses).toEqual(['PRESENT']);
  });

  it('enforces TTL at read time: older than the view TTL is OUTSIDE_MAX_AGE with no value; TTL 0 never ages', async () => {
    const t0 = T0.getTime();
    await o.write([
      { entityKey: driverKey(1301), view: 'driver_stats', eventTs: t0 - 2 * HOUR, values: { trips_today: 9, avg_rating: 4.0 } },
      { entityKey: driverKey(1301), view: 'driver_city', eventTs: t0 - 400 * 24 * HOUR, values: { city: 'Sharjah' } },
      { entityKey: driverKey(1302), view: 'driver_stats', eventTs: t0 - 30 * MINUTE, values: { trips_today: 5, avg_rating: 3.9 } },
    ]);
    const ask = async () => (await o.online({ features: ['driver_stats:trips_today', 'driver_city:city'], entities: { driver_id: [1301, 1302] } })).json().results;
    let [, trips, city] = await ask();
    expect(trips.statuses).toEqual(['OUTSIDE_MAX_AGE', 'PRESENT']);
    expect(trips.values).toEqual([null, 5]);
    expect(trips.eventTimestamps[0]).toBe(iso(t0 - 2 * HOUR)); // the stale value's time is still reported
    expect(city.statuses).toEqual(['PRESENT', 'NOT_FOUND']);
    expect(city.values).toEqual(['Sharjah', null]);

    // the clock moves on: 1302's value becomes stale once it is more than the TTL old
    o.clock.set(new Date(t0 + 30 * MINUTE + 1));
    [, trips] = await ask();
    expect(trips.statuses).toEqual(['OUTSIDE_MAX_AGE', 'OUTSIDE_MAX_AGE']);
    expect(trips.values).toEqual([null, null]);
  });

  it('treats a value exactly TTL old as expired, like the offline join (feature_ts > row_ts - ttl)', async () => {
    const t0 = T0.getTime();
    await o.write([{ entityKey: driverKey(1401), view: 'driver_stats', eventTs: t0 - HOUR, values: { trips_today: 1, avg_rating: 5 } }]);
    o.clock.set(new Date(t0 - 1));
    let trips = (await o.online({ features: ['driver_stats:trips_today'], entities: { driver_id: [1401] } })).json().results[1];
    expect(trips.statuses).toEqual(['PRESENT']);
    o.clock.set(new Date(t0));
    trips = (await o.online({ features: ['driver_stats:trips_today'], entities: { driver_id: [1401] } })).json().results[1];
    expect(trips.statuses).toEqual(['OUTSIDE_MAX_AGE']);
  });

  it('answers 100 entity rows over several views aligned with the request, duplicates included', async () => {
    const ts = T0.getTime() - MINUTE;
    const ids = Array.from({ length: 40 }, (_, i) => 5000 + i);
    const airports = ['AUH', 'DXB', 'JFK', 'LAX', 'SFO'];
    const rows: OnlineRow[] = ids.flatMap((id, i) => [
      { entityKey: driverKey(id), view: 'driver_stats', eventTs: ts, values: { trips_today: id * 2, avg_rating: i / 10 } },
      ...(i % 2 === 0 ? [{ entityKey: driverKey(id), view: 'driver_city', eventTs: ts, values: { city: `city-${id}` } }] : []),
    ]);
    for (const a of airports) for (const b of airports) if (a !== b) rows.push({ entityKey: routeKey(a, b), view: 'route_stats', eventTs: ts, values: { route_distance: a.charCodeAt(0) * 1000 + b.charCodeAt(0) } });
    await o.write(rows);

    // a scrambled order with repeats and some unknown drivers and routes
    const reqIds = Array.from({ length: 100 }, (_, r) => (r % 7 === 3 ? 9_000 + r : 5000 + ((r * 17) % 45)));
    const origins = reqIds.map((_, r) => airports[r % 5]!);
    const destinations = reqIds.map((_, r) => airports[(r * 3 + 1) % 5]!);
    const res = await o.online({ featureService: 'driver_model', entities: { driver_id: reqIds, origin: origins, destination: destinations } });
    expect(res.statusCode, res.body).toBe(200);
    const [idCol, , , trips, , city, distance] = res.json().results;
    expect(idCol.values).toEqual(reqIds);
    expect(new Set(reqIds).size).toBeLessThan(100);
    reqIds.forEach((id, r) => {
      const known = id >= 5000 && id < 5040;
      expect(trips.values[r], `row ${r}`).toBe(known ? id * 2 : null);
      expect(trips.statuses[r]).toBe(known ? 'PRESENT' : 'NOT_FOUND');
      expect(city.values[r]).toBe(known && (id - 5000) % 2 === 0 ? `city-${id}` : null);
      const sameAirport = origins[r] === destinations[r];
      expect(distance.values[r], `row ${r}`).toBe(sameAirport ? null : origins[r]!.charCodeAt(0) * 1000 + destinations[r]!.charCodeAt(0));
      expect(distance.statuses[r]).toBe(sameAirport ? 'NOT_FOUND' : 'PRESENT');
    });
  });

  it.runIf(store.name === 'redis')('reads 10 entities over 3 views with one HMGET per distinct entity key, whatever the views', async () => {
    const admin = new Redis(store.url!);
    try {
      const ts = T0.getTime() - MINUTE;
      const ids = Array.from({ length: 10 }, (_, i) => 6000 + i);
      const origins = ids.map((_, i) => ['AUH', 'DXB'][i % 2]!);
      const destinations = ids.map((_, i) => ['JFK', 'LHR', 'JFK', 'CDG', 'JFK'][i % 5]!);
      await o.write(ids.flatMap((id, i) => [
        { entityKey: driverKey(id), view: 'driver_stats', eventTs: ts, values: { trips_today: i, avg_rating: 4 } },
        { entityKey: driverKey(id), view: 'driver_city', eventTs: ts, values: { city: 'Ajman' } },
        { entityKey: routeKey(origins[i]!, destinations[i]!), view: 'route_stats', eventTs: ts, values: { route_distance: i } },
      ]));
      const distinctKeys = new Set([...ids.map(driverKey), ...ids.map((_, i) => routeKey(origins[i]!, destinations[i]!))]).size;
      expect(distinctKeys).toBe(16); // 10 drivers + 6 routes

      const request = () => o.online({ featureService: 'driver_model', entities: { driver_id: ids, origin: origins, destination: destinations } });

      // INFO commandstats is server-wide and other suites share this Redis: their commands can only
      // add calls, never remove them, so the fewest calls seen over a few tries is this request's own.
      // A per-view read would need 30 HMGETs (10 rows x 3 views) on every try.
      const seen: { hmget: number; others: string[] }[] = [];
      for (let attempt = 0; attempt < 5 && !seen.some((s) => s.hmget === distinctKeys && s.others.length === 0); attempt++) {
        const before = await commandCalls(admin);
        const res = await request();
        const after = await commandCalls(admin);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().results[3].values).toEqual(ids.map((_, i) => i));
        const grew = (cmd: string) => (after.get(cmd) ?? 0) - (before.get(cmd) ?? 0);
        seen.push({ hmget: grew('hmget'), others: [...after.keys()].filter((c) => c !== 'hmget' && c !== 'info' && grew(c) !== 0) });
      }
      expect(Math.min(...seen.map((s) => s.hmget)), JSON.stringify(seen)).toBe(distinctKeys);
      expect(seen.some((s) => s.hmget === distinctKeys && s.others.length === 0), JSON.stringify(seen)).toBe(true);

      // MONITOR sees only what touched this test's keys: one HMGET per entity key, each asking for all 3 views
      const monitor = await admin.monitor();
      const mine: string[][] = [];
      let markerSeen: () => void = () => {};
      const marker = new Promise<void>((resolve) => (markerSeen = resolve));
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[1] === `${o.prefix}:marker`) markerSeen();
        else if (args[1]?.startsWith(`${o.prefix}:`)) mine.push(args);
      });
      try {
        expect((await request()).statusCode).toBe(200);
        await admin.get(`${o.prefix}:marker`);
        await marker;
      } finally {
        monitor.disconnect();
      }
      expect(mine).toHaveLength(distinctKeys);
      for (const args of mine) expect([args[0]!.toLowerCase(), ...args.slice(2).sort()]).toEqual(['hmget', 'driver_city', 'driver_stats', 'route_stats']);
      expect(new Set(mine.map((a) => a[1])).size).toBe(distinctKeys);
    } finally {
      await admin.quit();
    }
  });
});
