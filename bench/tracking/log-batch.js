// bench/tracking: metric logging throughput through log-batch over HTTP, and its floor,
// the same rows written by this process straight into the same kind of database.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { cpuSeconds, machineBusySeconds, percentile } from '../lib.js';
import { PROJECT } from './engine.js';

export const KEYS = 10;
export const STEPS = 100;
export const BATCH = KEYS * STEPS;

/** One batch: 10 keys × 100 steps from `firstStep`. */
export function metricBatch(firstStep, timestamp) {
  const metrics = new Array(BATCH);
  let n = 0;
  for (let k = 0; k < KEYS; k++) {
    const key = `k${k}`;
    for (let s = 0; s < STEPS; s++) metrics[n++] = { key, value: Math.random(), timestamp, step: firstStep + s };
  }
  return metrics;
}

/** CPU use over an interval: server process, this process, and the rest of the machine. */
function cpuMeter(serverPid) {
  const start = { server: serverPid ? cpuSeconds(serverPid) : 0, self: process.cpuUsage(), machine: machineBusySeconds(), wall: performance.now() };
  return () => {
    const wall = (performance.now() - start.wall) / 1000;
    const server = serverPid ? cpuSeconds(serverPid) - start.server : 0;
    const selfUsage = process.cpuUsage(start.self);
    const self = (selfUsage.user + selfUsage.system) / 1e6;
    const machine = machineBusySeconds() - start.machine;
    const pct = (s) => (100 * s) / wall;
    return { serverPct: pct(server), benchPct: pct(self), otherPct: pct(Math.max(0, machine - server - self)) };
  };
}

/**
 * `clients` FalajClients, each logging to its own run, batch after batch, for `ms`
 * (after two warm-up batches each). Points per second over the measured window.
 */
export async function httpThroughput(clients, experimentId, ms, serverPid) {
  const runs = await Promise.all(clients.map((c, i) => c.tracking.createRun(PROJECT, { experimentId, name: `log-batch-${clients.length}-${i}` })));
  const steps = runs.map(() => 0);
  const send = async (i) => {
    const metrics = metricBatch(steps[i], Date.now());
    steps[i] += STEPS;
    await clients[i].tracking.logBatch(PROJECT, runs[i].info.id, { metrics });
  };
  for (let w = 0; w < 2; w++) await Promise.all(clients.map((_, i) => send(i)));

  const latencies = [];
  const meter = cpuMeter(serverPid);
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    clients.map(async (_, i) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter();
  await Promise.all(clients.map((c, i) => c.tracking.endRun(PROJECT, runs[i].info.id)));
  return summary(latencies, seconds, cpu);
}

function summary(latencies, seconds, cpu) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    batches: latencies.length,
    points: latencies.length * BATCH,
    seconds,
    pointsPerSec: (latencies.length * BATCH) / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    ...cpu,
  };
}

const COLUMNS = '"run_id", "key", "value", "is_nan", "step", "timestamp"';
const TABLE_DDL = (name) => `create table ${name} ("run_id" text not null, "key" text not null, "value" double precision not null, "is_nan" integer not null,
  "step" bigint not null, "timestamp" bigint not null, primary key ("run_id", "key", "step", "timestamp", "is_nan", "value"))`;

/** Rows of one batch in column order, flattened (for multi-row VALUES). */
function flatRows(runId, firstStep, timestamp) {
  const values = [];
  for (const m of metricBatch(firstStep, timestamp)) values.push(runId, m.key, m.value, 0, m.step, m.timestamp);
  return values;
}

/**
 * Floor on SQLite: one multi-row INSERT of 1,000 rows per transaction (autocommit) into a
 * scratch file with the server's pragmas (WAL, synchronous=FULL) and the same table.
 */
export function sqliteFloor(dir, ms) {
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(TABLE_DDL('run_metrics'));
  const insert = db.prepare(`insert into run_metrics (${COLUMNS}) values ${Array.from({ length: BATCH }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`);
  const runId = 'f'.repeat(32);
  let step = 0;
  const latencies = [];
  const meter = cpuMeter();
  const started = performance.now();
  while (performance.now() - started < ms) {
    const values = flatRows(runId, step, Date.now());
    step += STEPS;
    const t = performance.now();
    insert.run(values);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  const result = summary(latencies, seconds, meter());
  db.close();
  return result;
}

/**
 * Floor on PostgreSQL: `connections` connections, each inserting 1,000 rows per statement
 * (autocommit) into a scratch table with the same columns and primary key, as a prepared
 * multi-row VALUES (6,000 bound values) or as one unnest of six arrays.
 */
export async function pgFloor(url, connections, ms, form) {
  const table = `floor_run_metrics_${form}_${connections}`;
  const clients = await Promise.all(Array.from({ length: connections }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    await clients[0].query(TABLE_DDL(table));
    const text =
      form === 'values'
        ? `insert into ${table} (${COLUMNS}) values ${Array.from({ length: BATCH }, (_, r) => `(${Array.from({ length: 6 }, (_, c) => `$${r * 6 + c + 1}`).join(', ')})`).join(', ')}`
        : `insert into ${table} (${COLUMNS}) select * from unnest($1::text[], $2::text[], $3::float8[], $4::int4[], $5::int8[], $6::int8[])`;
    const params = (runId, step) => {
      if (form === 'values') return flatRows(runId, step, Date.now());
      const metrics = metricBatch(step, Date.now());
      return [metrics.map(() => runId), metrics.map((m) => m.key), metrics.map((m) => m.value), metrics.map(() => 0), metrics.map((m) => m.step), metrics.map((m) => m.timestamp)];
    };
    const name = `floor_${form}_${connections}`;
    const steps = clients.map(() => 0);
    const once = (i) => {
      const values = params(`${i}`.padStart(32, 'f'), steps[i]);
      steps[i] += STEPS;
      return clients[i].query({ name, text, values });
    };
    for (let w = 0; w < 2; w++) await Promise.all(clients.map((_, i) => once(i)));
    const latencies = [];
    const meter = cpuMeter();
    const started = performance.now();
    await Promise.all(
      clients.map(async (_, i) => {
        while (performance.now() - started < ms) {
          const t = performance.now();
          await once(i);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const result = summary(latencies, seconds, meter());
    await clients[0].query(`drop table ${table}`);
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/**
 * The same load through TrackingService.logBatch in this process (no HTTP, no JSON):
 * `concurrency` writers, each to its own run, for `ms`. Separates the database path's
 * cost from the server's HTTP handling.
 */
export async function serviceThroughput(service, experimentId, concurrency, ms) {
  const runs = [];
  for (let i = 0; i < concurrency; i++) runs.push((await service.createRun({ experimentId, name: `in-process-${concurrency}-${i}` })).info.id);
  const steps = runs.map(() => 0);
  const send = (i) => {
    const metrics = metricBatch(steps[i], Date.now());
    steps[i] += STEPS;
    return service.tracking.logBatch(PROJECT, runs[i], { metrics });
  };
  for (let w = 0; w < 2; w++) await Promise.all(runs.map((_, i) => send(i)));
  const latencies = [];
  const meter = cpuMeter();
  const started = performance.now();
  await Promise.all(
    runs.map(async (_, i) => {
      while (performance.now() - started < ms) {
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return summary(latencies, (performance.now() - started) / 1000, meter());
}
