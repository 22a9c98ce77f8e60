// bench/tracking: experiment tracking against a `falaj up` child process, on SQLite and on
// PostgreSQL, each beside its floor (issue 4, "Benchmarks"):
//   1. metric logging through log-batch (1,000 points a batch, 1 and 4 clients), points/s,
//      vs the same rows inserted by this process straight into the same kind of database;
//      aim 100,000 points/s;
//   2. run search over N runs × 20 metrics (N = 30,000), seeded in-process through
//      TrackingService before the server starts, median/p90 over HTTP vs hand-written SQL;
//      aim < 300 ms;
//   3. a 100 MB artifact: logArtifact, and downloadArtifact (decrypted and SHA-256-checked
//      by the server as it streams) vs fs.copyFile and a plain read + SHA-256.
//
//   npm run bench -- tracking [sqlite|postgres|all] [--quick]     (npm run build first)
//
// Env: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test; a database
// falaj_bench_<random> is created beside it and dropped after), BENCH_CPU_PROF=<dir> (run
// the server under node --cpu-prof).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { printTable } from '../lib.js';
import { startFalaj } from '../online/falaj-server.js';
import { artifactFloors, artifactRoundTrip, randomFile } from './artifacts.js';
import { openEngine, openService, prng, PROJECT, seedBatch, seedInProcess, serverEnv, TEAMS } from './engine.js';
import { BATCH, httpThroughput, pgFloor, serviceThroughput, sqliteFloor } from './log-batch.js';
import { floorSqlText, openFloor, searchTimings } from './search.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
const TARGET_POINTS = 100_000;
const TARGET_SEARCH_MS = 300;
const FULL = { runs: 30_000, logMs: 5_000, floorMs: 3_000, searchRepeats: 20, httpSeedMs: 3_000, artifactBytes: 100 * MiB, artifactRepeats: 3 };
const QUICK = { runs: 3_000, logMs: 1_500, floorMs: 1_000, searchRepeats: 5, httpSeedMs: 1_000, artifactBytes: 20 * MiB, artifactRepeats: 1 };

export async function run(args) {
  const quick = args.includes('--quick');
  const which = args.find((a) => !a.startsWith('--')) ?? 'all';
  if (!['sqlite', 'postgres', 'all'].includes(which)) throw new Error(`usage: npm run bench -- tracking [sqlite|postgres|all] [--quick] (got ${which})`);
  if (!existsSync(join(ROOT, 'dist/client/index.js'))) throw new Error('build first: npm run build');
  const cfg = quick ? QUICK : FULL;
  const { FalajClient } = await import(join(ROOT, 'dist/client/index.js'));

  const scratch = mkdtempSync(join(tmpdir(), 'falaj-bench-tracking-files-'));
  const out = { log: [], seed: [], search: [], artifacts: [], targets: [] };
  const started = performance.now();
  try {
    const source = join(scratch, 'weights.bin');
    randomFile(source, cfg.artifactBytes);
    const floors = await artifactFloors(source, scratch, cfg.artifactBytes, cfg.artifactRepeats);
    for (const engine of which === 'all' ? ['sqlite', 'postgres'] : [which]) {
      await benchEngine(engine, cfg, FalajClient, { source, floors, scratch }, out);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    report(out, cfg, quick, which);
    console.log(`\n(total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}

async function benchEngine(engine, cfg, FalajClient, files, out) {
  const eng = await openEngine(engine);
  try {
    console.error(`[${engine}] seeding ${cfg.runs} runs in-process…`);
    const seed = await seedInProcess(eng, cfg.runs);
    if (engine === 'postgres') await analyze(eng.url); // what autovacuum does within a minute of the load
    out.seed.push([engine, 'in-process TrackingService (createRun + log-batch; durability relaxed)', seed.runs, seed.seconds, seed.runs / seed.seconds, seed.seconds * (30_000 / seed.runs)]);

    // log-batch through the service in this process (no HTTP), before the server starts
    console.error(`[${engine}] log-batch in-process…`);
    const service = await openService(eng);
    let inProcess;
    try {
      const exp = await service.createExperiment('log-batch-in-process');
      inProcess = [await serviceThroughput(service, exp.id, 1, cfg.floorMs), await serviceThroughput(service, exp.id, 4, cfg.floorMs)];
    } finally {
      await service.close();
    }

    const server = await startFalaj({ env: serverEnv(eng), cpuProfDir: process.env.BENCH_CPU_PROF });
    const clients = Array.from({ length: 4 }, () => new FalajClient({ baseUrl: server.baseUrl, token: server.token }));
    try {
      const [c0] = clients;
      const pid = server.child.pid;

      // 1. log-batch
      console.error(`[${engine}] log-batch…`);
      const logExp = await c0.tracking.createExperiment(PROJECT, { name: 'log-batch-bench' });
      const http1 = await httpThroughput([c0], logExp.id, cfg.logMs, pid);
      const http4 = await httpThroughput(clients, logExp.id, cfg.logMs, pid);
      // the floor: the faster way this process finds to put the same rows in (per concurrency)
      const floorRows = [];
      let floor1;
      let floor4;
      if (engine === 'sqlite') {
        floor1 = floor4 = sqliteFloor(eng.dir, cfg.floorMs);
        floorRows.push(logRow(engine, 'floor: better-sqlite3 multi-row INSERT (one writer)', 1, floor1));
      } else {
        const runs = {};
        for (const form of ['values', 'unnest']) for (const n of [1, 4]) runs[`${form}${n}`] = await pgFloor(eng.url, n, cfg.floorMs, form);
        const best = (n) => (runs[`values${n}`].pointsPerSec >= runs[`unnest${n}`].pointsPerSec ? runs[`values${n}`] : runs[`unnest${n}`]);
        floor1 = best(1);
        floor4 = best(4);
        for (const n of [1, 4]) floorRows.push(logRow(engine, 'floor: pg multi-row INSERT … VALUES (6,000 params)', n, runs[`values${n}`]));
        for (const n of [1, 4]) floorRows.push(logRow(engine, 'floor: pg INSERT … SELECT unnest(6 arrays)', n, runs[`unnest${n}`]));
      }
      out.log.push(
        logRow(engine, 'falaj log-batch over HTTP', 1, http1, floor1),
        logRow(engine, 'falaj log-batch over HTTP', 4, http4, floor4),
        logRow(engine, 'falaj TrackingService.logBatch in-process (no HTTP)', 1, inProcess[0], floor1),
        logRow(engine, 'falaj TrackingService.logBatch in-process (no HTTP)', 4, inProcess[1], floor4),
        ...floorRows,
      );
      for (const [n, r] of [[1, http1], [4, http4]]) {
        out.targets.push(`${engine}: log-batch, ${n} client${n > 1 ? 's' : ''}: ${fmt(r.pointsPerSec)} points/s (aim ≥ ${fmt(TARGET_POINTS)}): ${r.pointsPerSec >= TARGET_POINTS ? 'met' : 'NOT met'}`);
      }

      // 2. search
      console.error(`[${engine}] search…`);
      const floor = await openFloor(eng);
      try {
        for (const r of await searchTimings(c0, floor, seed.experimentId, cfg.searchRepeats)) {
          out.search.push([engine, r.name, r.maxResults, r.matches, r.returned, r.bytes / 1024, r.httpMedian, r.httpP90, r.sqlMedian, r.sqlP90, r.httpMedian / r.sqlMedian]);
          const ok = r.httpMedian < TARGET_SEARCH_MS;
          out.targets.push(`${engine}: search "${r.name}" max ${r.maxResults} over ${fmt(cfg.runs)} runs: median ${r.httpMedian.toFixed(1)} ms, p90 ${r.httpP90.toFixed(1)} ms (aim < ${TARGET_SEARCH_MS} ms): ${ok ? 'met' : 'NOT met'}${ok && r.httpP90 >= TARGET_SEARCH_MS ? ' (p90 not)' : ''}`);
        }
      } finally {
        await floor.close();
      }

      // seeding over HTTP: a sample, to show why the search experiment is seeded in-process
      console.error(`[${engine}] HTTP seeding sample…`);
      const sample = await httpSeedSample(clients, cfg.httpSeedMs);
      out.seed.push([engine, `over HTTP: createRun + log-batch, ${sample.parallel} in parallel (sample)`, sample.runs, sample.seconds, sample.runs / sample.seconds, 30_000 / (sample.runs / sample.seconds)]);

      // 3. artifacts
      console.error(`[${engine}] artifacts…`);
      // the metadata engine plays no part in the bytes' path: let PostgreSQL's checkpointer
      // write out the load above first, so its disk writes do not compete with the artifact's
      if (engine === 'postgres') await eng.admin('checkpoint');
      const { floors } = files;
      const trip = await artifactRoundTrip(c0, logExp.id, files.source, floors.sha256, files.scratch, cfg.artifactRepeats);
      const copyMBs = floors.mb / floors.copyS;
      const art = (what, s) => [engine, what, floors.mb, s, floors.mb / s, floors.mb / s / copyMBs];
      out.artifacts.push(
        art('falaj logArtifact (upload: SHA-256 + encrypt + store)', trip.uploadS),
        art('falaj downloadArtifact (decrypt + verify SHA-256 + write)', trip.downloadS),
        art('floor: fs.copyFile', floors.copyS),
        art('floor: read + SHA-256 in-process', floors.hashS),
      );
      out.targets.push(
        `${engine}: download-and-verify ${fmt(floors.mb / trip.downloadS)} MiB/s = ${(floors.copyS / trip.downloadS).toFixed(2)} × the copyFile floor, ${(floors.hashS / trip.downloadS).toFixed(2)} × read+SHA-256 (no numeric aim: compared with the floor)`,
      );
    } finally {
      for (const c of clients) c.close();
      await server.stop();
    }
  } finally {
    await eng.dispose();
  }
}

async function analyze(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/** createRun + one seed log-batch per run, `parallel` at a time, for `ms`. */
async function httpSeedSample(clients, ms) {
  const parallel = 8;
  const exp = await clients[0].tracking.createExperiment(PROJECT, { name: 'http-seed-sample' });
  let runs = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, w) => {
      const client = clients[w % clients.length];
      while (performance.now() - started < ms) {
        const i = runs++;
        const run = await client.tracking.createRun(PROJECT, { experimentId: exp.id, name: `http-${i}`, tags: { team: TEAMS[i % TEAMS.length] } });
        await client.tracking.logBatch(PROJECT, run.info.id, seedBatch(i, prng(i + 1), Date.now()));
      }
    }),
  );
  return { parallel, runs, seconds: (performance.now() - started) / 1000 };
}

function logRow(engine, what, clients, r, floor) {
  return [engine, what, String(clients), r.batches, r.pointsPerSec, r.p50, r.p99, r.serverPct || '-', r.benchPct, r.otherPct, floor ? r.pointsPerSec / floor.pointsPerSec : NaN];
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

function report(out, cfg, quick, which) {
  const note = quick ? ' [--quick: smaller and shorter than the targets ask]' : '';
  if (out.log.length) {
    printTable(
      `log-batch throughput: batches of ${BATCH} points (10 keys × 100 steps), ~${cfg.logMs / 1000} s per row (floors ${cfg.floorMs / 1000} s)${note}`,
      ['engine', 'what', 'clients', 'batches', 'points/s', 'batch p50 ms', 'batch p99 ms', 'server CPU %', 'bench CPU %', 'other CPU %', 'x best floor'],
      out.log,
    );
  }
  if (out.seed.length) {
    printTable(`seeding the search experiment: ${fmt(cfg.runs)} runs × 20 metrics, 3 params, 2 tags${note}`, ['engine', 'how', 'runs', 'seconds', 'runs/s', 'est. s for 30,000'], out.seed);
  }
  if (out.search.length) {
    printTable(
      `run search over ${fmt(cfg.runs)} runs × 20 metrics (one experiment), order by metrics.m7 DESC; ${cfg.searchRepeats} runs each; HTTP = POST …/runs/search, body read; SQL floor = page + page data by hand${note}`,
      ['engine', 'filter', 'max', 'matches', 'returned', 'KiB', 'HTTP p50 ms', 'HTTP p90 ms', 'SQL p50 ms', 'SQL p90 ms', 'x floor'],
      out.search,
    );
    console.log(`\nfilters: and = "metrics.m3 > 0.5 and params.lr = '0.01'"; or = "(metrics.m3 > 0.9 or metrics.m5 < 0.1) and (params.lr = '0.01' or tags.team = 'risk')"`);
    const engines = [...new Set(out.search.map((r) => r[0]))];
    console.log(`SQL floor (${engines.join(', ')}): one page query, then the page's data:\n${floorSqlText(engines.includes('sqlite') ? 'sqlite' : 'postgres').join(';\n')};`);
    if (engines.includes('postgres')) console.log('(PostgreSQL: "run_id = any($1::text[])" in place of "in (<page ids>)"; ANALYZE run after seeding)');
  }
  if (out.artifacts.length) {
    printTable(`artifact: ${out.artifacts[0][2].toFixed(0)} MiB of random bytes (file in the page cache; median of ${cfg.artifactRepeats} except the single upload)${note}`, ['engine', 'what', 'MiB', 'seconds', 'MiB/s', 'x copyFile'], out.artifacts);
  }
  if (out.targets.length) {
    console.log(`\ntargets (issue 4)${note}:`);
    for (const line of out.targets) console.log(`  ${line}`);
  }
  if (which === 'all' && out.log.length === 0) console.log('(no results)');
}
