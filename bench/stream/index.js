// npm run bench -- stream [events=200000] [nats|redis]
// Stream ingestion into the online store (Redis) and offline Parquet: a `falaj up` child
// consumes a StreamSource while this process publishes events as fast as the broker takes
// them. Prints sustained events/s (first publish to last acknowledged) and freshness (event
// time → readable online) p50/p99 from the server's histogram, beside the floors: the
// broker alone (publish + consume + ack, no work) and pipelined Redis writes alone.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { printTable, sleep } from '../lib.js';
import { startFalaj } from '../online/falaj-server.js';
import { createBroker } from '../../dist/storage/stream/index.js';

const NATS = process.env.FALAJ_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS = process.env.FALAJ_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_FLIGHT = 2000;

export async function run(args) {
  const events = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
  const kinds = args.filter((a) => a === 'nats' || a === 'redis');
  const rows = [];
  console.log(`stream ingestion, ${events.toLocaleString('en-US')} events of 10 fields, online store Redis; 2-core machine: the broker, Redis, the publisher and Falaj share it`);
  for (const kind of kinds.length ? kinds : ['nats', 'redis']) {
    const url = kind === 'nats' ? NATS : REDIS;
    rows.push(await brokerFloor(kind, url, events));
    rows.push(...(await falaj(kind, url, events)));
  }
  rows.push(await redisFloor(events));
  printTable('sustained ingestion', ['path', 'events/s', 'seconds', 'freshness p50 ms', 'freshness p99 ms', 'note'], rows);
}

function event(i, subject) {
  return new TextEncoder().encode(JSON.stringify({ user_id: `u${i % 10_000}`, ts: new Date().toISOString(), ...Object.fromEntries(Array.from({ length: 8 }, (_, j) => [`f${j}`, (i * (j + 1)) % 997 / 10])), subject }));
}

/** Publishes `n` events with up to IN_FLIGHT unanswered publishes. */
async function publishAll(broker, subject, n) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await broker.publish(subject, event(i, subject));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function brokerFloor(kind, url, n) {
  const broker = await createBroker(url);
  const subject = `floor_${randomUUID().slice(0, 8)}`;
  const consumer = await broker.consumer({ stream: subject, subject, group: `g_${subject}`, consumer: 'floor' });
  const started = performance.now();
  let consumed = 0;
  const consume = (async () => {
    while (consumed < n) {
      const got = await consumer.fetch(5000, 200);
      await consumer.ack(got);
      consumed += got.length;
    }
  })();
  await publishAll(broker, subject, n);
  await consume;
  const seconds = (performance.now() - started) / 1000;
  await consumer.close();
  await broker.close();
  return [`floor: ${kind} publish + consume + ack, no work`, Math.round(n / seconds), seconds.toFixed(2), '-', '-', 'the broker on this machine'];
}

async function redisFloor(n) {
  const redis = new Redis(REDIS);
  const prefix = `bench:floor:${randomUUID().slice(0, 8)}`;
  const started = performance.now();
  for (let i = 0; i < n; i += 2000) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(n, i + 2000); j++) p.hset(`${prefix}:u${j % 10_000}`, 'v', JSON.stringify({ t: Date.now(), v: { f0: j } }));
    await p.exec();
  }
  const seconds = (performance.now() - started) / 1000;
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
  return ['floor: pipelined Redis HSET alone', Math.round(n / seconds), seconds.toFixed(2), '-', '-', 'the online write alone'];
}

async function falaj(kind, url, n) {
  const subject = `bench_${randomUUID().slice(0, 8)}`;
  const server = await startFalaj({ redisUrl: REDIS, keyPrefix: `bench-stream-${randomUUID().slice(0, 6)}`, env: { FALAJ_STREAMS_BROKERS: JSON.stringify({ main: url }), FALAJ_STREAMS_REFRESH_MS: '200', FALAJ_STREAMS_FLUSH_MS: '100', FALAJ_TRAINING_LOCAL_POOL: 'false' } });
  try {
    const api = (method, path, body) => fetch(`${server.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) }).then(async (r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status} ${await r.text()}`))));
    const schema = { user_id: 'string', ts: 'timestamp', ...Object.fromEntries(Array.from({ length: 8 }, (_, j) => [`f${j}`, 'float64'])), subject: 'string' };
    await api('POST', '/api/v1/projects/default/features/apply', {
      objects: [
        { kind: 'Entity', name: 'user', joinKeys: ['user_id'] },
        { kind: 'StreamSource', name: 'events', classification: 'public', timestampField: 'ts', schema, stream: { broker: 'main', subject } },
        { kind: 'FeatureView', name: 'user_last', entities: ['user'], source: 'events', ttl: '0', classification: 'public', features: Array.from({ length: 8 }, (_, j) => ({ name: `f${j}`, type: 'float64' })) },
      ].map((spec, i) => ({ spec, origin: `bench#${i}` })),
    });
    for (let i = 0; i < 100; i++) {
      const s = await api('GET', '/api/v1/projects/default/streams');
      if (s.streams.some((x) => x.running)) break;
      await sleep(100);
    }
    const broker = await createBroker(url);
    const started = performance.now();
    await publishAll(broker, subject, n);
    const published = (performance.now() - started) / 1000;
    let done = 0;
    let metrics = '';
    while (done < n) {
      await sleep(100);
      metrics = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.token}` } }).then((r) => r.text());
      done = Number(/falaj_stream_rows_total\{project="default",source="events"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      if ((performance.now() - started) / 1000 > 600) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const saturated = histogramQuantiles(metrics, 'falaj_stream_freshness_seconds');
    // freshness is only meaningful below capacity: a paced run at half the sustained rate
    const rate = Math.max(100, Math.round(n / seconds / 2));
    const before = histogramCounts(metrics, 'falaj_stream_freshness_seconds');
    const pacedEvents = rate * 5;
    const pacedStart = performance.now();
    for (let i = 0; i < pacedEvents; i += Math.ceil(rate / 20)) {
      const burst = Math.min(Math.ceil(rate / 20), pacedEvents - i);
      await Promise.all(Array.from({ length: burst }, (_, k) => broker.publish(subject, event(n + i + k, subject))));
      const due = pacedStart + ((i + burst) / rate) * 1000;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    while (done < n + pacedEvents && (performance.now() - pacedStart) / 1000 < 120) {
      await sleep(100);
      metrics = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${server.token}` } }).then((r) => r.text());
      done = Number(/falaj_stream_rows_total\{project="default",source="events"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    }
    await broker.close();
    const paced = quantilesOf(subtract(histogramCounts(metrics, 'falaj_stream_freshness_seconds'), before));
    return [
      [`falaj: ${kind} → Redis online + Parquet offline, acked`, Math.round(n / seconds), seconds.toFixed(2), ms(saturated.p50), ms(saturated.p99), `saturated (published in ${published.toFixed(1)} s)`],
      [`falaj: ${kind}, paced at ${rate.toLocaleString('en-US')}/s for 5 s`, rate, '-', ms(paced.p50), ms(paced.p99), 'freshness below capacity'],
    ];
  } finally {
    await server.stop();
  }
}

const ms = (s) => (Number.isFinite(s) ? `≤ ${Math.round(s * 1000)}` : '-');

/** Cumulative bucket counts of a Prometheus histogram: [[upper bound s, count], …]. */
function histogramCounts(text, name) {
  return [...text.matchAll(new RegExp(`${name}_bucket\\{le="([^"]+)",project="default",source="events"\\} (\\d+)`, 'g'))].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
}

function subtract(after, before) {
  return after.map(([le, c], i) => [le, c - (before[i]?.[1] ?? 0)]);
}

/** p50/p99 as the upper bound of the bucket holding the rank (histograms give bounds, not exact values). */
function quantilesOf(buckets) {
  const total = buckets.at(-1)?.[1] ?? 0;
  const at = (q) => buckets.find(([, c]) => c >= q * total)?.[0] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

function histogramQuantiles(text, name) {
  return quantilesOf(histogramCounts(text, name));
}
