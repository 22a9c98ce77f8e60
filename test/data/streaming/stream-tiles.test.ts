import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamBroker } from '../../../src/data/contracts.js';
import { tileEndOf } from '../../../src/data/streaming/tiles/tile-math.js';
import { latestValuesSql } from '../../../src/features/offline/index.js';
import { createBroker } from '../../../src/storage/stream/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { engineUrl } from '../../helpers/engines.js';
import { applyOk, type Spec } from '../../features/fixtures.js';

const BROKERS = [
  { name: 'redis', url: engineUrl('redis') },
  { name: 'nats', url: engineUrl('nats') },
].filter((b): b is { name: string; url: string } => b.url !== undefined);

const HOUR = 3_600_000;
const FEATURES = [
  { name: 'trips_1d', type: 'int64', aggregation: { function: 'count', column: 'fare', window: '1d' } },
  { name: 'fare_sum_1d', type: 'float64', aggregation: { function: 'sum', column: 'fare', window: '1d' } },
  { name: 'fare_mean_2h', type: 'float64', aggregation: { function: 'mean', column: 'fare', window: '2h' } },
  { name: 'fare_min_1d', type: 'float64', aggregation: { function: 'min', column: 'fare', window: '1d' } },
  { name: 'fare_max_1d', type: 'float64', aggregation: { function: 'max', column: 'fare', window: '1d' } },
  { name: 'fare_std_1d', type: 'float64', aggregation: { function: 'stddev', column: 'fare', window: '1d' } },
  { name: 'last_city_1d', type: 'string', aggregation: { function: 'last', column: 'city', window: '1d' } },
];

/** A deterministic stream: 6 drivers over 30 hours, some fares missing. */
function events(): { driver_id: number; ts: string; fare: number | null; city: string }[] {
  let seed = 42;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = Date.UTC(2026, 2, 1, 0, 0, 0);
  return Array.from({ length: 240 }, (_, i) => ({
    driver_id: 1 + (i % 6),
    ts: new Date(start + Math.floor(next() * 30 * HOUR)).toISOString(),
    fare: next() < 0.1 ? null : Math.round(next() * 10_000) / 100,
    city: ['dubai', 'abu_dhabi', 'sharjah'][Math.floor(next() * 3)]!,
  }));
}

describe.each(BROKERS)('windowed features streamed from $name through tiles', ({ name, url }) => {
  let t: TestApp;
  let broker: StreamBroker;
  const subject = `tiles_${randomUUID().slice(0, 8)}`;
  const sent = events();
  beforeAll(async () => {
    t = await createTestApp({ name: 'sqlite' }, { 'streams.brokers': { [name]: url }, 'streams.refreshMs': 200, 'streams.flushMs': 50, 'training.localPool': false });
    const defs: Spec[] = [
      { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
      { kind: 'StreamSource', name: 'rides', classification: 'public', timestampField: 'ts', schema: { driver_id: 'int64', ts: 'timestamp', fare: 'float64', city: 'string' }, stream: { broker: name, subject, tile: '1h' } },
      { kind: 'FeatureView', name: 'ride_stats', entities: ['driver'], source: 'rides', ttl: '0', classification: 'public', features: FEATURES },
    ];
    await applyOk(t, defs);
    broker = await createBroker(url);
    t.services.streams!.start();
    for (let i = 0; i < 100 && !t.services.streams!.statuses('default').some((s) => s.running); i++) await new Promise((r) => setTimeout(r, 50));
    for (const e of sent) await broker.publish(subject, new TextEncoder().encode(JSON.stringify(e)));
  });
  afterAll(async () => {
    await broker?.close();
    await t?.dispose();
  });

  it('serves online exactly what the offline store computes for the same instant', async () => {
    const view = (await t.services.registry.definitions('default')).views.get('ride_stats')!;
    const read = async () => (await t.services.onlineStore.read('default', [1, 2, 3, 4, 5, 6].map((d) => `driver_id=${d}`), ['ride_stats']));
    const counted = (rows: Awaited<ReturnType<typeof read>>) => rows.every((r) => r.ride_stats);
    let online = await read();
    const deadline = Date.now() + 20_000;
    // wait for every event of the stream to be applied (the newest event time of each driver)
    const newest = (d: number) => Math.max(...sent.filter((e) => e.driver_id === d).map((e) => Date.parse(e.ts)));
    while ((!counted(online) || online.some((r, i) => r.ride_stats!.eventTs !== newest(i + 1))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      online = await read();
    }
    await new Promise((r) => setTimeout(r, 500)); // the duplicates arrive after the originals
    online = await read();
    const engine = await t.services.offline.get();
    for (let d = 1; d <= 6; d++) {
      const asOf = tileEndOf(newest(d), HOUR);
      const [offline] = await engine.query(`SELECT * FROM (${latestValuesSql(view, { start: asOf - 2 * 86_400_000, end: asOf })}) WHERE driver_id = ${d}`);
      const values = online[d - 1]!.ride_stats!.values;
      for (const f of FEATURES) {
        const want = offline![f.name];
        const got = values[f.name];
        if (typeof want === 'number' || typeof want === 'bigint') expect(Number(got), `${f.name} of driver ${d}`).toBeCloseTo(Number(want), 9);
        else expect(got, `${f.name} of driver ${d}`).toEqual(want);
      }
      expect(values.trips_1d).toBeGreaterThan(0);
    }
  });
});

describe('tiles under redelivery', () => {
  it('counts a redelivered message once, whichever replica applies it', async () => {
    const { applyTiles } = await import('../../../src/data/streaming/tiles/tile-store.js');
    const t = await createTestApp({ name: 'sqlite' }, { 'training.localPool': false });
    try {
      await applyOk(t, [
        { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
        { kind: 'StreamSource', name: 'rides', classification: 'public', timestampField: 'ts', schema: { driver_id: 'int64', ts: 'timestamp', fare: 'float64', city: 'string' }, stream: { subject: 'x', tile: '1h' } },
        { kind: 'FeatureView', name: 'ride_stats', entities: ['driver'], source: 'rides', ttl: '0', classification: 'public', features: FEATURES },
      ]);
      const defs = await t.services.registry.definitions('default');
      const source = defs.sources.get('rides')! as never;
      const views = [defs.views.get('ride_stats')!];
      const ts = Date.UTC(2026, 2, 1, 10);
      const rows = [1, 2, 3].map((i) => ({ id: `m${i}`, row: { values: { driver_id: 7, ts: new Date(ts + i * 60_000).toISOString(), fare: i * 10, city: 'dubai' }, eventTs: ts + i * 60_000 } }));
      const apply = (batch: typeof rows) => applyTiles(t.services.database.db, t.services.database.dialect, { project: 'default', source, views, rows: batch, tileMs: HOUR, now: Date.now() });
      const first = await apply(rows);
      expect(first[0]!.values).toMatchObject({ trips_1d: 3, fare_sum_1d: 60 });
      const again = await apply([rows[1]!, rows[2]!, { id: 'm4', row: { values: { driver_id: 7, ts: new Date(ts + 5 * 60_000).toISOString(), fare: 5, city: 'sharjah' }, eventTs: ts + 5 * 60_000 } }]);
      expect(again[0]!.values).toMatchObject({ trips_1d: 4, fare_sum_1d: 65, fare_min_1d: 5, last_city_1d: 'sharjah' });
    } finally {
      await t.dispose();
    }
  });
});
