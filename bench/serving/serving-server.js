// bench/serving: a `falaj up` child process (bench/online's) serving the benchmark's
// model: bench/online's feature definitions and users, one registered version per
// deployment, the deployments applied and ready, and the answers checked against
// ONNX Runtime in this process.
import { join, resolve } from 'node:path';
import { checkAnswers, definitions, loadUsers, PROJECT, startFalaj, userId } from '../online/falaj-server.js';
import { ortAnswers } from './floor.js';
import { deploy, FEATURE_NAMES, oipRequest, randomRows, registerModel, waitReady } from './model.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PUSH_BATCH = 2_000;

/**
 * Deployments by name. Each gets its own version of the same bytes: batching belongs to
 * the served version, so two deployments of one version would share one batcher (the
 * last applied one's settings).
 */
export const DEPLOYMENTS = [
  { name: 'solo', batching: false, label: 'no batching' },
  { name: 'batched', batching: { maxBatchSize: 64, maxQueueDelayMicros: 500 }, label: 'batching 64 rows / 500 us (default)' },
  { name: 'batched-nowait', batching: { maxBatchSize: 64, maxQueueDelayMicros: 0 }, label: 'batching 64 rows / 0 us' },
  // what the prediction log costs: the default batching without it (measured at c64 only)
  { name: 'batched-nolog', batching: { maxBatchSize: 64, maxQueueDelayMicros: 500 }, logPredictions: false, label: 'batching 64 / 500 us, prediction log off', only: [64] },
];

/**
 * Starts the server (Redis online store when `redisUrl` is given), pushes `users` users
 * (none when 0), registers and deploys `deployments`, and checks one OIP and one
 * prediction-API answer. Resolves with the server, a client, and the timings of the set-up.
 */
export async function startServing({ bytes, users, deployments, redisUrl, keyPrefix }) {
  const { FalajClient } = await import(join(ROOT, 'dist/client/index.js'));
  const server = await startFalaj({ ...(redisUrl ? { redisUrl, keyPrefix } : {}), cpuProfDir: process.env.BENCH_CPU_PROF });
  try {
    const client = new FalajClient({ baseUrl: server.baseUrl, token: server.token });
    await client.features.apply(PROJECT, definitions());
    const timings = {};
    if (users > 0) {
      const started = performance.now();
      const written = await loadUsers(client, users, PUSH_BATCH);
      timings.loadSeconds = (performance.now() - started) / 1000;
      if (written !== users * 5) throw new Error(`expected ${users * 5} online rows written, got ${written}`);
      await checkAnswers(client);
    }
    const started = performance.now();
    for (const d of deployments) await deploy(client, d.name, await registerModel(client, bytes), d.batching, d.logPredictions ?? true);
    for (const d of deployments) await waitReady(client, d.name);
    timings.deploySeconds = (performance.now() - started) / 1000;
    await checkOip(client, bytes, deployments[0].name);
    if (users > 0) await checkPredict(client, bytes, deployments[0].name);
    return { server, client, timings };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** One OIP call of 2 rows must answer what ORT answers in this process. */
async function checkOip(client, bytes, name) {
  const [data] = randomRows(1, 2);
  const res = await client.transport.request('POST', `/v2/models/${name}/infer`, oipRequest(data, 2));
  if (res.status !== 200) throw new Error(`OIP infer: HTTP ${res.status} ${res.body}`);
  const got = JSON.parse(res.body).outputs.find((o) => o.name === 'probability')?.data ?? [];
  expectClose('OIP infer', got, await ortAnswers(bytes, data, 2));
}

/** The prediction API for one user must answer what ORT answers for that user's stored features. */
async function checkPredict(client, bytes, name) {
  const id = userId(7);
  const online = await client.features.online(PROJECT, { featureService: 'bench', entities: { user_id: [id] } });
  const byName = new Map(online.featureNames.map((n, c) => [n.split('__').at(-1), online.results[c].values[0]]));
  const row = FEATURE_NAMES.map((f) => byName.get(f));
  if (row.some((v) => typeof v !== 'number')) throw new Error(`online features of ${id} are not all numbers: ${JSON.stringify(row)}`);
  const res = await client.transport.request('POST', `/api/v1/projects/${PROJECT}/deployments/${name}/predict`, { entities: { user_id: id } });
  if (res.status !== 200) throw new Error(`predict: HTTP ${res.status} ${res.body}`);
  const got = JSON.parse(res.body).predictions.map((p) => p.probability);
  expectClose('predict', got, await ortAnswers(bytes, row, 1));
}

function expectClose(what, got, want) {
  const bad = got.length !== want.length || got.some((v, i) => Math.abs(v - want[i]) > 1e-5);
  if (bad) throw new Error(`${what} answered ${JSON.stringify(got)}, ONNX Runtime in-process ${JSON.stringify(want)}`);
}

/** The deployment named `name` (of DEPLOYMENTS). */
export const deployment = (name) => DEPLOYMENTS.find((d) => d.name === name);
