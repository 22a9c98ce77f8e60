// bench/serving: the benchmark's model and deployments. A logistic regression trained by
// the built-in tabular trainer on synthetic rows of bench/online's 50 features (f0…f49,
// uniform in [0, 100) like the users it pushes), exported to ONNX (input `features`
// [N, 50] float32, output `probability`), logged as a run artifact and registered as a
// signed version whose lineage names bench/online's feature service `bench`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sleep } from '../lib.js';
import { PROJECT } from '../online/falaj-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const WIDTH = 50;
export const FEATURE_NAMES = Array.from({ length: WIDTH }, (_, f) => `f${f}`);
export const MODEL = 'bench-scorer';
const TRAINING_ROWS = 5_000;

/** Trains and exports the model in this process; resolves with the ONNX bytes and how long it took. */
export async function trainModel() {
  const { exportOnnx, trainTabularModel, withTrainerDefaults } = await import(join(ROOT, 'dist/training/trainer/index.js'));
  const started = performance.now();
  const x = new Float64Array(TRAINING_ROWS * WIDTH);
  const y = new Float64Array(TRAINING_ROWS);
  const timestamps = new Float64Array(TRAINING_ROWS);
  for (let r = 0; r < TRAINING_ROWS; r++) {
    let z = 0;
    for (let f = 0; f < WIDTH; f++) {
      const v = Math.random() * 100;
      x[r * WIDTH + f] = v;
      if (f < 5) z += ((f % 2 === 0 ? 1 : -1) * (v - 50)) / 25; // a few informative features
    }
    y[r] = Math.random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    timestamps[r] = Date.UTC(2024, 0, 1) + r * 60_000;
  }
  const data = { featureNames: FEATURE_NAMES, rows: TRAINING_ROWS, x, y, timestamps, droppedNullLabels: 0, labelledRows: TRAINING_ROWS };
  const spec = withTrainerDefaults({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 3, seed: 1 });
  const result = await trainTabularModel(data, spec);
  if (!result.model) throw new Error(`training did not complete: ${result.status}`);
  return { bytes: exportOnnx(result.model), seconds: (performance.now() - started) / 1000, auc: result.validation?.auc };
}

/** Logs `bytes` as `model/model.onnx` of a new run and registers it as a version of MODEL (lineage: feature service `bench` v1). */
export async function registerModel(client, bytes) {
  const { startRun } = await import(join(ROOT, 'dist/client/index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'falaj-bench-serving-model-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
    const run = await startRun(client, PROJECT, 'serving-bench', { name: 'logistic-50' });
    await run.logArtifact('model/model.onnx', file);
    const version = await run.registerModel(MODEL, 'model', { lineage: { featureService: { name: 'bench', version: 1 } } });
    await run.end();
    if (version.status !== 'READY') throw new Error(`model version ${version.version} is ${version.status}: ${version.statusMessage}`);
    return version.version;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Applies a single-route deployment of MODEL `version`; `batching` is false or
 * { maxBatchSize, maxQueueDelayMicros }; `logPredictions` false turns its prediction log off.
 */
export async function deploy(client, name, version, batching, logPredictions = true) {
  const spec = { kind: 'Deployment', name, model: MODEL, routes: [{ name: 'stable', version }], batching, logPredictions };
  await client.transport.json('PUT', `/api/v1/projects/${PROJECT}/deployments/${name}`, spec);
}

/** Waits (at most 60 s) until `GET /v2/models/<name>/ready` answers 200. */
export async function waitReady(client, name) {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const res = await client.transport.request('GET', `/v2/models/${name}/ready`);
    if (res.status === 200) return;
    if (performance.now() > deadline) throw new Error(`deployment ${name} not ready after 60 s: HTTP ${res.status} ${res.body}`);
    await sleep(100);
  }
}

/** `n` random feature rows (uniform in [0, 100), as bench/online pushes), each `rows` × WIDTH. */
export function randomRows(n, rows) {
  return Array.from({ length: n }, () => Array.from({ length: rows * WIDTH }, () => Math.round(Math.random() * 1e6) / 1e4));
}

/** The OIP request for one row block of `rows` rows. */
export function oipRequest(data, rows) {
  return { inputs: [{ name: 'features', shape: [rows, WIDTH], datatype: 'FP32', data }] };
}
