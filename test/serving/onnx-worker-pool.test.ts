import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { OnnxWorkerPool } from '../../src/serving/runtime/index.js';
import { exportOnnx, trainTabularModel, type TabularModel } from '../../src/training/trainer/index.js';
import { withTrainerDefaults } from '../../src/training/trainer/spec.js';
import { syntheticData } from '../training/trainer/synthetic.js';

/** A real model: the built-in trainer's logistic regression on synthetic data, exported to ONNX. */
async function tinyModel(): Promise<{ bytes: Uint8Array; model: TabularModel }> {
  const spec = withTrainerDefaults({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 3 });
  const result = await trainTabularModel(syntheticData('linear', 400), spec);
  return { bytes: exportOnnx(result.model!), model: result.model! };
}

const rows = (n: number) => Float32Array.from({ length: n * 4 }, (_, i) => ((i * 37) % 101) - 50);

describe('ONNX Runtime in worker threads', () => {
  let pool: OnnxWorkerPool;
  let bytes: Uint8Array;
  beforeAll(async () => {
    ({ bytes } = await tinyModel());
    pool = new OnnxWorkerPool({ workers: 2 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('loads a model in every worker, warms it up, and answers as an in-process session does', async () => {
    const loaded = await pool.load('m:1', bytes, { features: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } });
    expect(loaded).toMatchObject({ key: 'm:1', inputs: ['features'], outputs: ['probability'], bytes: bytes.byteLength });
    const input = rows(16);
    const local = await ort.InferenceSession.create(bytes);
    const expected = (await local.run({ features: new ort.Tensor('float32', input.slice(), [16, 4]) })).probability!.data as Float32Array;
    const out = await pool.infer('m:1', { features: { type: 'float32', data: input, dims: [16, 4] } });
    expect(out.probability!.dims).toEqual([16, 1]);
    expect(Array.from(out.probability!.data as Float32Array)).toEqual(Array.from(expected));
    expect(input.byteLength).toBe(0); // transferred to the worker, not copied
  });

  it('spreads concurrent requests over the workers and keeps each answer with its request', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => Float32Array.from({ length: 4 }, (_, j) => i - j * 3));
    const local = await ort.InferenceSession.create(bytes);
    const expected = await Promise.all(inputs.map(async (x) => ((await local.run({ features: new ort.Tensor('float32', x.slice(), [1, 4]) })).probability!.data as Float32Array)[0]));
    const got = await Promise.all(inputs.map(async (x) => ((await pool.infer('m:1', { features: { type: 'float32', data: x, dims: [1, 4] } })).probability!.data as Float32Array)[0]));
    expect(got).toEqual(expected);
  });

  it('answers clear errors for an unknown model and for bad inputs', async () => {
    await expect(pool.infer('nope', { features: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } })).rejects.toMatchObject({ code: 'FALAJ_MODEL_NOT_LOADED' });
    await expect(pool.infer('m:1', { wrong: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } })).rejects.toMatchObject({ code: 'FALAJ_INFERENCE_FAILED' });
    await expect(pool.infer('m:1', { features: { type: 'float32', data: new Float32Array(3), dims: [1, 3] } })).rejects.toMatchObject({ code: 'FALAJ_INFERENCE_FAILED' });
  });

  it('unloads idle models', async () => {
    await pool.load('m:2', bytes);
    const later = Date.now() + 60_000;
    pool.loaded().find((m) => m.key === 'm:1')!.lastUsedAt = later; // m:1 just used
    expect(await pool.unloadIdle(30_000, later)).toEqual(['m:2']);
    expect(pool.loaded().map((m) => m.key)).toEqual(['m:1']);
    await expect(pool.infer('m:2', { features: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } })).rejects.toMatchObject({ code: 'FALAJ_MODEL_NOT_LOADED' });
  });
});
