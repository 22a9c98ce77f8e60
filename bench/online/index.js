// bench/online: online feature retrieval over HTTP (50 float features over 5 views, 1 and
// 100 entities a request) at fixed rates and at full load, beside the floor: the same
// store reads from a bare client in this process (ioredis for Redis, better-sqlite3 for
// SQLite), and a baseline: a bare node:http server. Targets (issue 3): p99 < 1 ms for
// 1 entity and < 8 ms for 100 entities at 100 req/s; > 10,000 req/s for 1 entity.
//
//   npm run bench -- online [redis|sqlite|all]      (default all; the server must be built)
//
// Env: BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_OPEN_S / BENCH_WARMUP_S
// (open-loop seconds, default 8 / 2), BENCH_CLOSED_S (4), BENCH_FLOOR_S (2),
// BENCH_ONLY=<regexp> (scenarios whose name matches), BENCH_CPU_PROF=<dir> (run the
// server under node --cpu-prof).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { printTable, rssMiB } from '../lib.js';
import { checkAnswers, definitions, loadUsers, PROJECT, startFalaj } from './falaj-server.js';
import { deleteRedisKeys, openFloorStore } from './floor-stores.js';
import { baselineTarget, startHttpBaseline } from './http-baseline.js';
import { closedLoop } from './load-generator.js';
import { measureBaseline, measureFloor, measureHttp } from './measure.js';
import { entityPool, falajHttp } from './targets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = 10_000;
const PUSH_BATCH = 2_000;
const seconds = (name, fallback) => Number(process.env[name] ?? fallback) * 1000;
const DURATIONS = {
  openMs: seconds('BENCH_OPEN_S', 8),
  warmupMs: seconds('BENCH_WARMUP_S', 2),
  closedMs: seconds('BENCH_CLOSED_S', 4),
  floorMs: seconds('BENCH_FLOOR_S', 2),
};
const OPEN_SOCKETS = 64;
const HEADERS = ['scenario', 'path', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'req/s', 'send lag p99 ms', 'errors', 'p99 x floor', 'server p99 <= ms', 'server GC ms', 'server CPU us/req', 'other load %'];

// entities a request; an open-loop rate or a closed-loop concurrency; Feast's route or ours
const SCENARIOS = [
  { entities: 1, rate: 100 },
  { entities: 1, rate: 1000 },
  { entities: 1, rate: 5000 },
  { entities: 1, rate: 1000, feast: true },
  { entities: 100, rate: 100 },
  { entities: 100, rate: 1000 },
  { entities: 1, concurrency: 32 },
  { entities: 1, concurrency: 64 },
  { entities: 100, concurrency: 32 },
  { entities: 100, concurrency: 64 },
];

export async function run(args) {
  const which = args[0] ?? 'all';
  if (!['redis', 'sqlite', 'all'].includes(which)) throw new Error(`usage: npm run bench -- online [redis|sqlite|all] (got ${which})`);
  if (!existsSync(join(ROOT, 'dist/client/index.js'))) throw new Error('build the server first: npm run build');
  await benchHttpBaseline();
  for (const store of which === 'all' ? ['redis', 'sqlite'] : [which]) await benchStore(store);
}

/** What HTTP alone costs here: a bare node:http server answering Falaj's 1-entity answer size. */
async function benchHttpBaseline() {
  const baseline = await startHttpBaseline();
  const pool = entityPool(1, USERS);
  try {
    const rows = [];
    for (const s of [{ entities: 1, rate: 100 }, { entities: 1, concurrency: 32 }]) {
      const target = baselineTarget(baseline, pool, s.concurrency ?? OPEN_SOCKETS);
      rows.push(row(scenarioName(s), 'bare node:http', await measureBaseline({ baseline, target, s, durations: DURATIONS })));
    }
    printTable(`baseline: HTTP alone, a bare node:http server (own process) reading the request and answering a fixed ${baseline.bytes}-byte body (the size of Falaj's 1-entity answer)`, HEADERS, rows);
  } finally {
    await baseline.stop();
  }
}

async function benchStore(store) {
  const { FalajClient } = await import(join(ROOT, 'dist/client/index.js'));
  const keyPrefix = `falaj-bench-${process.pid}-${Date.now().toString(36)}`;
  const server = await startFalaj(store === 'redis' ? { redisUrl: REDIS_URL, keyPrefix, cpuProfDir: process.env.BENCH_CPU_PROF } : { cpuProfDir: process.env.BENCH_CPU_PROF });
  let floorStore;
  try {
    const client = new FalajClient({ baseUrl: server.baseUrl, token: server.token });
    await client.features.apply(PROJECT, definitions());
    const loadStarted = performance.now();
    const written = await loadUsers(client, USERS, PUSH_BATCH);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    if (written !== USERS * 5) throw new Error(`expected ${USERS * 5} online rows written, got ${written}`);
    await checkAnswers(client);
    floorStore = await openFloorStore({ engine: store, server, redisUrl: REDIS_URL, keyPrefix });

    const results = await measureAll(store, server, floorStore);
    const rss = rssMiB(server.child.pid);
    printResults(store, results);
    console.log(
      `load: ${USERS.toLocaleString('en')} users pushed in batches of ${PUSH_BATCH} in ${loadSeconds.toFixed(2)} s ` +
        `(${Math.round(USERS / loadSeconds).toLocaleString('en')} rows/s, ${(USERS * 5).toLocaleString('en')} online rows); server RSS after the run: ${rss.toFixed(0)} MiB`,
    );
  } finally {
    await floorStore?.close();
    const exitCode = await server.stop();
    if (exitCode !== 0) console.error(`falaj up exited with ${exitCode}:\n${server.output()}`);
    if (store === 'redis') console.log(`cleanup: deleted ${await deleteRedisKeys(REDIS_URL, keyPrefix)} Redis keys under ${keyPrefix}:`);
  }
}

/** Runs every scenario (those matching BENCH_ONLY, a regular expression, when set): Falaj, then its floor. */
async function measureAll(store, server, floorStore) {
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  const pools = { 1: entityPool(1, USERS), 100: entityPool(100, USERS) };
  // Every path hot in the server's JIT before the first measurement, not only the first scenario's.
  for (const [entities, feast] of [[1, false], [1, true], [100, false]]) {
    const target = falajHttp({ port: server.port, token: server.token, pool: pools[entities], feast, maxSockets: 8 });
    await closedLoop({ op: target.op, concurrency: 8, warmupMs: 0, durationMs: 1000 });
    target.close();
  }
  const results = new Map();
  for (const s of SCENARIOS) {
    const name = scenarioName(s);
    if (only && !only.test(name)) continue;
    const falaj = await measureHttp({ server, ourPids: floorStore.pids, pool: pools[s.entities], s, durations: DURATIONS, openSockets: OPEN_SOCKETS });
    results.set(`${name}|${s.feast ? 'feast' : 'falaj'}`, falaj);
    const floor = floorName(store, s);
    if (!results.has(`${floor}|floor`)) results.set(`${floor}|floor`, await measureFloor({ floorStore, pool: pools[s.entities], s, durations: DURATIONS }));
  }
  return results;
}

/** The floor a scenario compares with: Feast's route shares ours; a synchronous SQLite read has one closed-loop floor. */
function floorName(store, s) {
  return scenarioName({ ...s, feast: false, concurrency: store === 'sqlite' && s.concurrency ? 32 : s.concurrency });
}

function printResults(store, results) {
  const rows = [];
  for (const s of SCENARIOS) {
    const name = scenarioName(s);
    const falaj = results.get(`${name}|${s.feast ? 'feast' : 'falaj'}`);
    if (!falaj) continue;
    const floor = results.get(`${floorName(store, s)}|floor`);
    rows.push(row(name, s.feast ? 'falaj, Feast route' : 'falaj', falaj, floor.p99));
    if (!s.feast && floorName(store, s) === name) rows.push(row('', store === 'sqlite' && s.concurrency ? 'floor (sync, 1 caller)' : 'floor', floor));
  }
  printTable(
    `online retrieval, ${store} store: ${USERS.toLocaleString('en')} users, 50 float64 features in 5 views; open loop ${DURATIONS.warmupMs / 1000} s warm-up + ${DURATIONS.openMs / 1000} s, ` +
      `latency from the scheduled send; closed loop ${DURATIONS.closedMs / 1000} s; floor ${DURATIONS.floorMs / 1000} s (${floorDescription(store)})`,
    HEADERS,
    rows,
  );
  const p99 = (name) => results.get(`${name}|falaj`)?.p99 ?? NaN;
  const closed = ['1 entity, closed c32', '1 entity, closed c64'].map((name) => results.get(`${name}|falaj`)?.rate).filter((rate) => rate !== undefined);
  const best = closed.length > 0 ? Math.max(...closed) : NaN;
  const verdict = (value, ok, unit) => (Number.isNaN(value) ? 'not run' : `${unit === 'ms' ? value.toFixed(3) : Math.round(value).toLocaleString('en')} ${unit} ${ok ? 'met' : 'NOT met'}`);
  console.log(
    `targets (issue 3), ${store}: p99 1 entity @ 100/s < 1 ms: ${verdict(p99('1 entity @ 100/s'), p99('1 entity @ 100/s') < 1, 'ms')}; ` +
      `p99 100 entities @ 100/s < 8 ms: ${verdict(p99('100 entities @ 100/s'), p99('100 entities @ 100/s') < 8, 'ms')}; ` +
      `1 entity > 10,000 req/s: ${verdict(best, best > 10_000, 'req/s')}`,
  );
}

function scenarioName(s) {
  const what = s.entities === 1 ? '1 entity' : `${s.entities} entities`;
  return s.rate ? `${what} @ ${s.rate}/s` : `${what}, closed c${s.concurrency}`;
}

const ms3 = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');

function row(name, path, r, floorP99) {
  const errors = r.errors + r.unfinished > 0 ? `${r.errors}${r.unfinished ? ` +${r.unfinished} unfinished` : ''}` : '0';
  const ratio = floorP99 === undefined ? '' : `${(r.p99 / floorP99).toFixed(1)}x`;
  const server = [r.p99Bound === undefined ? '' : String(r.p99Bound), r.gcMs === undefined ? '' : Math.round(r.gcMs), r.cpuPerRequest === undefined ? '' : Math.round(r.cpuPerRequest * 1e6)];
  return [name, path, ms3(r.p50), ms3(r.p90), ms3(r.p99), ms3(r.max), Math.round(r.rate), ms3(r.lagP99), errors, ratio, ...server, Math.round(r.others)];
}

function floorDescription(store) {
  return store === 'redis'
    ? 'a bare ioredis client in the bench process: HMGET of the 5 view fields, pipelined per entity'
    : "the server's SELECT through better-sqlite3 in the bench process";
}

