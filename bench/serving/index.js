// bench/serving: model serving over HTTP (issue: serving benchmarks). A logistic
// regression on 50 float inputs, trained by the built-in trainer and served by a
// `falaj up` child process:
//   1. the floors: ONNX Runtime's session.run in this process (1 and 64 rows), Falaj's
//      inference runtime (worker pool, dynamic batcher) in this process without HTTP,
//      and HTTP alone (a bare node:http server answering Falaj's OIP answer);
//   2. OIP inference (`POST /v2/models/<d>/infer`, one row a request) at concurrency 1,
//      16 and 64 without batching and with dynamic batching, and 8 rows a request;
//      target: 10,000 predictions/s at c64 with p99 < 10 ms;
//   3. the prediction API with feature lookup (`POST …/deployments/<d>/predict`, one
//      user a request) on Redis and SQLite, beside the online-features route alone.
//
//   npm run bench -- serving [floor] [oip] [predict] [redis] [sqlite]   (default: all; npm run build first)
//
// Env: BENCH_REDIS_URL (default FALAJ_TEST_REDIS_URL or redis://127.0.0.1:6379; the Redis
// part is skipped when unreachable), BENCH_POINT_S / BENCH_WARMUP_S (seconds a point,
// default 5 / 1), BENCH_FLOOR_S (2), BENCH_QUIET_S (5: how long each point waits for other
// processes to leave the machine idle; column "other load %" says what they used anyway),
// BENCH_CPU_PROF=<dir> (run the server under node --cpu-prof), FALAJ_SERVING_* (passed to
// the server, e.g. FALAJ_SERVING_WORKERS=2).
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { printTable } from '../lib.js';
import { PROJECT } from '../online/falaj-server.js';
import { deleteRedisKeys } from '../online/floor-stores.js';
import { startHttpBaseline } from '../online/http-baseline.js';
import { entityPool, falajHttp, jsonPost } from '../online/targets.js';
import { ortFloor, runtimeFloor } from './floor.js';
import { measure } from './measure.js';
import { oipRequest, randomRows, trainModel } from './model.js';
import { deployment, DEPLOYMENTS, startServing } from './serving-server.js';
import { oipHeaders, oipRow, predictHeaders, predictRows, runtimeHeaders, runtimeRow, targetVerdicts } from './report.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PARTS = ['floor', 'oip', 'predict'];
const STORES = ['redis', 'sqlite'];
const CONCURRENCY = [1, 16, 64];
const CLIENT_ROWS = 8; // rows a request when the client batches
const USERS = 10_000;
const REQUESTS = 1024; // distinct request bodies, cycled
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.FALAJ_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const seconds = (name, fallback) => Number(process.env[name] ?? fallback) * 1000;
const TIMES = { warmupMs: seconds('BENCH_WARMUP_S', 1), durationMs: seconds('BENCH_POINT_S', 5), floorMs: seconds('BENCH_FLOOR_S', 2) };
const OIP_ROUTE = '/v2/models/:model/infer';
const PREDICT_ROUTE = '/api/v1/projects/:project/deployments/:name/predict';
const ONLINE_ROUTE = '/api/v1/projects/:project/features/online';
// Falaj's answer to a 1-row OIP request (what the server sends back), for the bare server
const OIP_ANSWER = '{"model_name":"solo","model_version":"1","outputs":[{"name":"probability","datatype":"FP32","shape":[1,1],"data":[0.5132262110710144]}]}';

export async function run(args) {
  const unknown = args.filter((a) => !PARTS.includes(a) && !STORES.includes(a));
  if (unknown.length > 0) throw new Error(`usage: npm run bench -- serving [${PARTS.join('] [')}] [${STORES.join('] [')}] (got ${unknown.join(' ')})`);
  if (!existsSync(join(ROOT, 'dist/serving/runtime/index.js'))) throw new Error('build the server first: npm run build');
  const parts = new Set(args.some((a) => PARTS.includes(a)) ? args.filter((a) => PARTS.includes(a)) : PARTS);
  const wantedStores = args.some((a) => STORES.includes(a)) ? args.filter((a) => STORES.includes(a)) : STORES;
  const started = performance.now();
  printHeader();

  const model = await trainModel();
  console.log(`model: logistic regression, ${model.bytes.length} bytes of ONNX, trained on 5,000 synthetic rows in ${model.seconds.toFixed(2)} s`);
  const ort = parts.has('floor') || parts.has('oip') ? { one: await ortFloor(model.bytes, 1, TIMES.floorMs), many: await ortFloor(model.bytes, 64, TIMES.floorMs) } : undefined;
  if (parts.has('floor')) await benchRuntime(model.bytes, ort);
  const baseline = parts.has('floor') || parts.has('oip') ? await benchHttpBaseline() : undefined;
  if (!parts.has('oip')) {
    const rows = CONCURRENCY.map((c) => oipRow(`1 row, c${c}`, 'bare node:http (HTTP floor)', baseline.get(c)));
    printTable("floor: HTTP alone, a bare node:http server (own process) reading Falaj's OIP requests and answering a fixed 1-row OIP answer", oipHeaders, rows);
  }

  const stores = [];
  let redis = [];
  if (parts.has('predict')) {
    for (const store of wantedStores) {
      if (store === 'redis') {
        redis = await localRedisPids(REDIS_URL);
        if (!redis) {
          console.log(`\nprediction API on Redis: skipped, no Redis at ${REDIS_URL} (set BENCH_REDIS_URL)`);
          continue;
        }
      }
      stores.push(store);
    }
  }
  // OIP runs on the first server started: the online store plays no part in it
  const servers = stores.length > 0 ? stores : parts.has('oip') ? [null] : [];
  for (const [i, store] of servers.entries()) {
    await withServer(model.bytes, store, i === 0 && parts.has('oip'), async (s) => {
      if (i === 0 && parts.has('oip')) await benchOip(s, ort, baseline);
      if (store) await benchPredict(s, store, store === 'redis' ? redis : []);
    });
  }
  console.log(`\nwhole benchmark: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

function printHeader() {
  const cpus = os.cpus();
  const serving = Object.entries(process.env).filter(([k]) => k.startsWith('FALAJ_SERVING_')).map(([k, v]) => `${k}=${v}`);
  console.log(
    `bench/serving on ${cpus.length} cores (${cpus[0]?.model.trim()}), Node ${process.version}. The load generator runs on the same ` +
      `cores as the server and takes CPU from it (column "loadgen cores"): numbers here are lower bounds of what a dedicated server does.\n` +
      `server settings: ${serving.length > 0 ? serving.join(' ') : 'defaults (serving.workers 1, intraOpThreads 1, prediction log on but in the deployment marked "prediction log off")'}; ` +
      `each point ${TIMES.warmupMs / 1000} s warm-up + ${TIMES.durationMs / 1000} s closed loop; ${REQUESTS} distinct random requests cycled.`,
  );
}

/** In-process: ORT alone, and Falaj's runtime (worker pool ± batcher) without HTTP. */
async function benchRuntime(bytes, ort) {
  const rows = [runtimeRow('session.run, 1 row', 'ORT in-process, 1 caller', ort.one, 1), runtimeRow('session.run, 64 rows', 'ORT in-process, 1 caller', ort.many, 64)];
  for (const [concurrency, batching, path] of [
    [1, undefined, 'worker pool'],
    [64, undefined, 'worker pool'],
    [64, deployment('batched').batching, 'pool + batcher 64/500us'],
    [64, deployment('batched-nowait').batching, 'pool + batcher 64/0us'],
  ]) {
    const r = await runtimeFloor(bytes, { concurrency, batching, warmupMs: 500, durationMs: TIMES.floorMs });
    rows.push(runtimeRow(`1 row, c${concurrency}`, path, { calls: r.rate, p50: r.p50, p99: r.p99, errors: r.errors, others: r.others }, 1));
  }
  printTable(
    `floor: the model in this process, no HTTP. ONNX Runtime's session.run back to back (the server's session options), and Falaj's runtime ` +
      `(1 inference worker thread, tensors transferred; with the dynamic batcher) driven by a closed loop (${TIMES.floorMs / 1000} s)`,
    runtimeHeaders,
    rows,
  );
}

/** HTTP alone: a bare node:http server (own process) answering Falaj's 1-row OIP answer to the same OIP requests. */
async function benchHttpBaseline() {
  const bare = await startHttpBaseline({ body: OIP_ANSWER });
  const bodies = randomRows(REQUESTS, 1).map((d) => oipRequest(d, 1));
  const results = new Map();
  try {
    for (const c of CONCURRENCY) {
      const target = jsonPost({ port: bare.port, token: 'none', path: '/v2/models/solo/infer', bodies, maxSockets: c });
      results.set(c, await measure({ target, concurrency: c, ...TIMES, server: { pid: bare.pid } }));
    }
  } finally {
    await bare.stop();
  }
  return results;
}

async function benchOip(s, ort, baseline) {
  const { server } = s;
  const one = randomRows(REQUESTS, 1).map((d) => oipRequest(d, 1));
  const point = async (d, c, bodies, rowsPerRequest) => {
    const target = jsonPost({ port: server.port, token: server.token, path: `/v2/models/${d.name}/infer`, bodies, maxSockets: c });
    return measure({ target, concurrency: c, ...TIMES, server, route: OIP_ROUTE, rowsPerRequest });
  };
  const rows = [];
  const results = new Map();
  for (const c of CONCURRENCY) {
    const floor = baseline?.get(c);
    if (floor) rows.push(oipRow(`1 row, c${c}`, 'bare node:http (HTTP floor)', floor));
    for (const d of DEPLOYMENTS) {
      if (d.only && !d.only.includes(c)) continue;
      const r = await point(d, c, one, 1);
      results.set(`${d.name}|${c}`, r);
      rows.push(oipRow(floor ? '' : `1 row, c${c}`, `falaj, ${d.label}`, r, { httpFloor: floor, ort: ort?.one }));
    }
  }
  const eight = randomRows(REQUESTS, CLIENT_ROWS).map((d) => oipRequest(d, CLIENT_ROWS));
  for (const [i, d] of [deployment('solo'), deployment('batched')].entries()) {
    const r = await point(d, 16, eight, CLIENT_ROWS);
    rows.push(oipRow(i === 0 ? `${CLIENT_ROWS} rows, c16` : '', `falaj, ${d.label}`, r, { ort: ort?.one }));
  }
  printTable(
    `OIP inference over HTTP: POST /v2/models/<d>/infer, JSON FP32 tensor [rows, 50], admin token, keep-alive, closed loop. ` +
      `"x HTTP floor": Falaj's req/s over the bare server's at the same concurrency; "p50 x ORT": Falaj's p50 over session.run's (1 row, ${fmtMs(ort?.one.p50)} ms)`,
    oipHeaders,
    rows,
  );
  console.log(
    'batch rows: mean rows per ONNX Runtime call (falaj_inference_batch_rows); server cores / us/req: CPU of the server process, all threads; ' +
      'server p99 <= ms: the bucket bound of its own request-duration histogram; loadgen cores: this process',
  );
  console.log(targetVerdicts(results, DEPLOYMENTS, baseline));
}

async function benchPredict(s, store, ourPids) {
  const { server } = s;
  const pool = entityPool(1, USERS);
  const bodies = pool.map(([id]) => ({ entities: { user_id: id } }));
  const d = deployment('batched'); // default batching
  const run = (target, c, route) => measure({ target, concurrency: c, ...TIMES, server, route, ourPids });
  const predict = (name, c) => jsonPost({ port: server.port, token: server.token, path: `/api/v1/projects/${PROJECT}/deployments/${name}/predict`, bodies, maxSockets: c });
  const results = new Map();
  for (const c of CONCURRENCY) {
    results.set(`features|${c}`, await run(falajHttp({ port: server.port, token: server.token, pool, maxSockets: c }), c, ONLINE_ROUTE));
    results.set(`predict|${c}`, await run(predict(d.name, c), c, PREDICT_ROUTE));
  }
  // the same at the highest concurrency without the prediction log: what logging adds
  const c = CONCURRENCY.at(-1);
  results.set(`predict-nolog|${c}`, await run(predict(deployment('batched-nolog').name, c), c, PREDICT_ROUTE));
  printTable(
    `prediction API with feature lookup, ${store} online store: POST …/deployments/${d.name}/predict {entities: {user_id}} (50 features from 5 views ` +
      `of feature service "bench", ${d.label}), beside POST …/features/online for the same user alone; ${USERS.toLocaleString('en')} users` +
      (s.timings.loadSeconds ? ` (pushed in ${s.timings.loadSeconds.toFixed(1)} s)` : ''),
    predictHeaders,
    predictRows(results, CONCURRENCY),
  );
}

/** Starts a server (with `store`'s online store and users when `store` is set), runs `body`, stops it and cleans up. */
async function withServer(bytes, store, allDeployments, body) {
  const keyPrefix = `falaj-bench-serving-${process.pid}-${Date.now().toString(36)}`;
  const deployments = allDeployments ? DEPLOYMENTS : [deployment('batched'), deployment('batched-nolog')];
  const s = await startServing({ bytes, users: store ? USERS : 0, deployments, ...(store === 'redis' ? { redisUrl: REDIS_URL, keyPrefix } : {}) });
  console.log(
    `\nserver: falaj up, ${store ?? 'sqlite'} online store; ${deployments.length} versions registered (signed) and deployed, ready in ${s.timings.deploySeconds.toFixed(1)} s; ` +
      'answers checked against ONNX Runtime in this process',
  );
  try {
    await body(s);
  } finally {
    const exitCode = await s.server.stop();
    if (exitCode !== 0) console.error(`falaj up exited with ${exitCode}:\n${s.server.output()}`);
    if (store === 'redis') await deleteRedisKeys(REDIS_URL, keyPrefix);
  }
}

/** When Redis answers at `url`: its pid if it runs on this machine (its CPU is part of the path), else []; null when unreachable. */
async function localRedisPids(url) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return existsSync(`/proc/${pid}/stat`) ? [pid] : [];
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

const fmtMs = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');
