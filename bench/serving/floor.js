// bench/serving: the floors, in the bench process. (1) ONNX Runtime alone: the model's
// InferenceSession.run on 1 and 64 rows, back to back on this thread, with the server's
// session options. (2) Falaj's inference runtime without HTTP: the server's own
// OnnxWorkerPool (the session in a worker thread, tensors transferred) with and without
// its DynamicBatcher, driven by the same closed loop as the HTTP runs.
import { createHistogram } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { closedLoop } from '../online/load-generator.js';
import { watchOthers } from '../online/measure.js';
import { waitForQuiet } from './measure.js';
import { WIDTH } from './model.js';

const ROOT = resolve(import.meta.dirname, '../..');
// as src/serving/runtime/onnx-worker-pool.ts sets them (serving.intraOpThreads default 1)
const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' };

/** A fresh [rows, WIDTH] float32 block of random values in [0, 100). */
const block = (rows) => Float32Array.from({ length: rows * WIDTH }, () => Math.random() * 100);

/** `session.run` of `rows` rows, sequentially, for `durationMs` (after a short warm-up). */
export async function ortFloor(bytes, rows, durationMs) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const inputs = Array.from({ length: 64 }, () => new ort.Tensor('float32', block(rows), [rows, WIDTH]));
  const latency = createHistogram();
  let calls = 0;
  await waitForQuiet();
  const others = watchOthers([]);
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await session.run({ features: inputs[calls++ % inputs.length] });
  calls = 0;
  const started = performance.now();
  const end = started + durationMs;
  for (let now = started; now < end; ) {
    const out = await session.run({ features: inputs[calls++ % inputs.length] });
    if (out.probability.data.length !== rows) throw new Error(`ORT answered ${out.probability.data.length} probabilities for ${rows} rows`);
    const after = performance.now();
    latency.record(Math.max(1, Math.round((after - now) * 1e6)));
    now = after;
  }
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return { calls: calls / seconds, predictions: (calls * rows) / seconds, p50: latency.percentile(50) / 1e6, p99: latency.percentile(99) / 1e6, others: others() };
}

/** The answers ORT gives in-process for these flat row blocks (to check the server's against). */
export async function ortAnswers(bytes, data, rows) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  try {
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(data), [rows, WIDTH]) });
    return Array.from(out.probability.data);
  } finally {
    await session.release();
  }
}

/**
 * Falaj's runtime in this process: one OnnxWorkerPool worker (serving.workers default)
 * and, when `batching` is given, a DynamicBatcher in front, as ServedModels wires them;
 * `concurrency` callers send 1-row requests back to back.
 */
export async function runtimeFloor(bytes, { concurrency, batching, workers = 1, warmupMs, durationMs }) {
  const { OnnxWorkerPool } = await import(join(ROOT, 'dist/serving/runtime/index.js'));
  const { DynamicBatcher } = await import(join(ROOT, 'dist/serving/batching/index.js'));
  const pool = new OnnxWorkerPool({ workers, intraOpThreads: 1 });
  // the pool's workers are unref'd (a server's sockets keep it alive): keep this process up meanwhile
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await pool.load('bench', bytes, { features: { type: 'float32', data: block(1), dims: [1, WIDTH] } });
    const run = (feeds) => pool.infer('bench', feeds);
    const infer = batching ? ((b) => (feeds) => b.infer(feeds))(new DynamicBatcher(run, { maxInFlight: workers, ...batching })) : run;
    const blocks = Array.from({ length: 256 }, () => block(1));
    let k = 0;
    // the pool transfers the feeds' buffer to the worker: each call sends a copy
    const op = () => infer({ features: { type: 'float32', data: blocks[k++ % blocks.length].slice(), dims: [1, WIDTH] } });
    await waitForQuiet();
    const others = watchOthers([]);
    return { ...(await closedLoop({ op, concurrency, warmupMs, durationMs })), others: others() };
  } finally {
    clearInterval(keepAlive);
    await pool.close();
  }
}
