// bench/materialize: materialization throughput into the online store, rows per second,
// beside two floors measured in this process: the DuckDB scan alone (reading the same
// rows) and bare pipelined Redis writes of the same rows (HSET, no newer-only check).
//
//   npm run bench -- materialize [redis|sqlite|all] [rows=1000000]   (server built first)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { printTable } from '../lib.js';
import { startFalaj } from '../online/falaj-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FEATURES = 10;
const cols = Array.from({ length: FEATURES }, (_, i) => `f${i}`);

export async function run(args) {
  const which = args[0] ?? 'all';
  const rows = Number(args[1] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'falaj-bench-mat-'));
  const file = join(dir, 'users.parquet');
  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run("SET TimeZone = 'UTC'");
  // two rows per user (an older and a newer one), so "latest per entity" has work to do
  await duck.run(`COPY (SELECT 'u' || (i % ${rows}) AS user_id, TIMESTAMP '2026-01-01' + to_seconds(i) AS ts, ${cols.map((c) => `random() AS ${c}`).join(', ')}
                        FROM range(${rows * 2}) t(i)) TO '${file}' (FORMAT parquet)`);
  const results = [];
  try {
    // floor 1: the scan that materialization cannot avoid (latest row per user)
    let started = performance.now();
    const latest = (await duck.runAndReadAll(`SELECT user_id, arg_max(struct_pack(ts, ${cols.join(', ')}), ts) AS v FROM '${file}' GROUP BY user_id`)).getRowObjectsJS();
    const scanS = (performance.now() - started) / 1000;
    results.push(['floor: DuckDB latest-per-entity scan', rows, scanS, rows / scanS]);

    for (const store of which === 'all' ? ['redis', 'sqlite'] : [which]) {
      if (store === 'redis') {
        // floor 2: bare pipelined writes of the same rows
        const redis = new Redis(REDIS_URL);
        const prefix = `falaj-bench-floor-${process.pid}`;
        started = performance.now();
        for (let i = 0; i < latest.length; i += 5000) {
          const p = redis.pipeline();
          for (const r of latest.slice(i, i + 5000)) p.hset(`${prefix}:default:user_id=${r.user_id}`, 'users', JSON.stringify({ t: 0, v: r.v }), 'users@t', '0');
          await p.exec();
        }
        const writeS = (performance.now() - started) / 1000;
        results.push(['floor: bare Redis pipelined HSET', rows, writeS, rows / writeS]);
        await deleteKeys(redis, prefix);
        redis.disconnect();
      }
      results.push(await materialize(store, file, rows));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(`materialization: ${rows.toLocaleString('en-US')} entities × ${FEATURES} float features (from ${(rows * 2).toLocaleString('en-US')} source rows)`, ['what', 'entities', 'seconds', 'rows/s'], results);
}

async function materialize(store, file, rows) {
  const { FalajClient } = await import(join(ROOT, 'dist/client/index.js'));
  const keyPrefix = `falaj-bench-mat-${process.pid}`;
  const server = await startFalaj(store === 'redis' ? { redisUrl: REDIS_URL, keyPrefix } : {});
  try {
    const client = new FalajClient({ baseUrl: server.baseUrl, token: server.token });
    await client.features.apply('default', [
      { spec: { kind: 'Entity', name: 'user', joinKeys: ['user_id'] } },
      { spec: { kind: 'BatchSource', name: 'users_src', path: file, timestampField: 'ts', classification: 'internal' } },
      { spec: { kind: 'FeatureView', name: 'users', entities: ['user'], source: 'users_src', ttl: 0, classification: 'internal', features: cols.map((c) => ({ name: c, type: 'float64' })) } },
    ]);
    const started = performance.now();
    let done;
    await client.features.materialize('default', { start: '2000-01-01', end: '2030-01-01' }, (e) => {
      if (e.type === 'view-done') done = e;
    });
    const seconds = (performance.now() - started) / 1000;
    if (done?.rows !== rows) throw new Error(`materialized ${done?.rows} rows, expected ${rows}`);
    client.close();
    if (store === 'redis') {
      const redis = new Redis(REDIS_URL);
      await deleteKeys(redis, keyPrefix);
      redis.disconnect();
    }
    return [`falaj materialize → ${store} (over HTTP, newer-only writes)`, rows, seconds, rows / seconds];
  } finally {
    await server.stop();
  }
}

async function deleteKeys(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
