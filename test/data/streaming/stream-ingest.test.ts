import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamBroker, StreamConsumer } from '../../../src/data/contracts.js';
import { StreamIngestor } from '../../../src/data/streaming/stream-ingestor.js';
import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import { sourceRelation } from '../../../src/storage/offline/index.js';
import { createBroker } from '../../../src/storage/stream/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { engineUrl } from '../../helpers/engines.js';
import { applyOk, type Spec } from '../../features/fixtures.js';

const BROKERS = [
  { name: 'nats', url: engineUrl('nats') },
  { name: 'redis', url: engineUrl('redis') },
].filter((b): b is { name: string; url: string } => b.url !== undefined);

const system = { principal: SYSTEM_PRINCIPAL, requestId: 'test' };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function definitions(subject: string, broker: string): Spec[] {
  return [
    { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'], valueType: 'int64' },
    {
      kind: 'StreamSource', name: 'trips', classification: 'public', timestampField: 'ts',
      schema: { driver_id: 'int64', ts: 'timestamp', fare: 'float64', city: 'string' },
      allowedValues: { city: ['dubai', 'abu_dhabi', 'sharjah'] },
      expectations: [{ expect: 'between', column: 'fare', min: 0, max: 1000 }],
      stream: { broker, subject },
    },
    { kind: 'FeatureView', name: 'last_trip', entities: ['driver'], source: 'trips', ttl: '0', classification: 'public', features: [{ name: 'fare', type: 'float64' }, { name: 'city', type: 'string' }] },
  ];
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

describe.each(BROKERS)('stream ingestion from $name', ({ name, url }) => {
  let t: TestApp;
  let broker: StreamBroker;
  const subject = `trips_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    t = await createTestApp({ name: 'sqlite' }, { 'streams.brokers': { [name]: url }, 'streams.refreshMs': 200, 'streams.flushMs': 50, 'streams.ackWaitMs': 1000, 'training.localPool': false });
    await applyOk(t, definitions(subject, name));
    broker = await createBroker(url, { ackWaitMs: 1000 });
    t.services.streams!.start();
    await until(async () => t.services.streams!.statuses('default'), (s) => s.some((x) => x.running));
  });
  afterAll(async () => {
    await broker?.close();
    await t?.dispose();
  });

  const online = async (ids: number[]) =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/projects/default/features/online', headers: t.auth(), payload: { features: ['last_trip:fare', 'last_trip:city'], entities: { driver_id: ids } } })).json();
  const offlineRows = async () => {
    const source = (await t.services.registry.definitions('default')).sources.get('trips')!;
    return (await (await t.services.offline.get()).query(`SELECT driver_id, fare, city FROM ${sourceRelation(source)} ORDER BY driver_id, fare`)).map((r) => ({ ...r, driver_id: Number(r.driver_id) }));
  };

  it('writes valid messages online (newer event time wins) and offline, and dead-letters the rest with the reason', async () => {
    const ts = (m: number) => new Date(Date.UTC(2026, 0, 1, 12, m)).toISOString();
    await broker.publish(subject, json({ driver_id: 1, ts: ts(1), fare: 20, city: 'dubai' }));
    await broker.publish(subject, json({ driver_id: 1, ts: ts(3), fare: 35.5, city: 'sharjah' }));
    await broker.publish(subject, json({ driver_id: 1, ts: ts(2), fare: 99, city: 'dubai' })); // older: offline only
    await broker.publish(subject, json({ driver_id: 2, ts: ts(1), fare: 12, city: 'abu_dhabi' }));
    await broker.publish(subject, new TextEncoder().encode('{not json'));
    await broker.publish(subject, json({ driver_id: 3, ts: ts(1), fare: -5, city: 'dubai' }));
    await broker.publish(subject, json({ driver_id: 4, ts: ts(1), fare: 5, city: 'paris' }));
    await broker.publish(subject, json({ driver_id: 'five', ts: ts(1), fare: 5, city: 'dubai' }));

    const answer = await until(() => online([1, 2]), (a) => a.results?.[1]?.values?.[0] === 35.5 && a.results?.[1]?.values?.[1] === 12);
    expect(answer.results[1].values).toEqual([35.5, 12]);
    expect(answer.results[2].values).toEqual(['sharjah', 'abu_dhabi']);

    const dead = await until(
      async () => (await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/sources/trips/dead-letters', headers: t.auth() })).json().deadLetters as { reason: string; payload: string }[],
      (d) => d.length >= 4,
    );
    const reasons = dead.map((d) => d.reason).sort();
    expect(reasons).toEqual([
      expect.stringContaining('allowed(city): "paris"'),
      expect.stringContaining('between(fare): -5 is below 0'),
      expect.stringContaining('column driver_id must be an integer'),
      'the message is not JSON',
    ].sort((a, b) => String(a).localeCompare(String(b))) as never);
    expect(dead.find((d) => d.reason === 'the message is not JSON')!.payload).toBe('{not json');

    const rows = await until(offlineRows, (r) => r.length >= 4);
    expect(rows).toEqual([
      { driver_id: 1, fare: 20, city: 'dubai' },
      { driver_id: 1, fare: 35.5, city: 'sharjah' },
      { driver_id: 1, fare: 99, city: 'dubai' },
      { driver_id: 2, fare: 12, city: 'abu_dhabi' },
    ]);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth() })).body;
    // at least once: a message redelivered before its acknowledgement landed counts again (and is read once)
    expect(Number(/falaj_stream_rows_total\{project="default",source="trips"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
    expect(Number(/falaj_stream_dead_letters_total\{project="default",source="trips"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
    expect(metrics).toContain('falaj_stream_freshness_seconds_bucket');
    const status = (await t.app.inject({ method: 'GET', url: '/api/v1/projects/default/streams', headers: t.auth() })).json();
    expect(status.streams[0]).toMatchObject({ source: 'trips', broker: name, running: true, error: null });
  });

  it('loses and double-counts nothing when a replica dies between writing and acknowledging', async () => {
    const crashSubject = `${subject}_crash`;
    const source = { ...(await t.services.registry.definitions('default')).sources.get('trips')!, stream: { broker: name, subject: crashSubject, group: undefined, tileMs: undefined } } as never;
    const views = [...(await t.services.registry.definitions('default')).views.values()];
    const stream = `falaj_crash_${randomUUID().slice(0, 6)}`;
    const open = (c: string) => broker.consumer({ stream, subject: crashSubject, group: `g_${stream}`, consumer: c });
    const real = await open('a'); // creates the stream and the group before anything is published
    for (let i = 0; i < 20; i++) await broker.publish(crashSubject, json({ driver_id: 100 + i, ts: '2026-01-02T00:00:00Z', fare: i, city: 'dubai' }));
    const deps = { project: 'default', source, views, stream, online: t.services.onlineStore, offline: t.services.offline, db: t.services.database.db, dialect: t.services.database.dialect, metrics: t.services.streams!.metrics, onError: () => undefined };
    const options = { batchSize: 100, flushMs: 1, flushRows: 1, tempDir: `${t.dataDir}/tmp` };
    // replica A writes everything, then dies before its acknowledgement reaches the broker
    const dying: StreamConsumer = { fetch: (m, w) => real.fetch(m, w), ack: async () => { throw new Error('killed before the ack'); }, lag: () => real.lag(), close: () => real.close() };
    const a = new StreamIngestor({ ...deps, consumer: dying }, options);
    await until(async () => { await a.step().catch(() => undefined); return countFor(100, 119); }, (n) => n === 20);
    await real.close();
    // replica B gets what A never acknowledged (after the ack wait) and writes it again
    const b = new StreamIngestor({ ...deps, consumer: await open('b') }, options);
    await until(async () => { await b.step(); return countFor(100, 119); }, (n) => n === 20, 20_000);
    for (let i = 0; i < 3; i++) await b.step(); // stragglers of the redelivery change nothing
    // the offline store still reads each value once; the online values are the same
    expect(await countFor(100, 119)).toBe(20);
    const values = (await online([100, 119])).results[1].values;
    expect(values).toEqual([0, 19]);
    await b.stop();

    async function countFor(from: number, to: number): Promise<number> {
      const src = (await t.services.registry.definitions('default')).sources.get('trips')!;
      const [row] = await (await t.services.offline.get()).query(`SELECT count(*)::INTEGER AS n FROM ${sourceRelation(src)} WHERE driver_id BETWEEN ${from} AND ${to}`);
      return Number(row!.n);
    }
  });
});
