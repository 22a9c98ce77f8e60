import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { DynamicBatcher } from '../../../src/serving/batching/index.js';
import { OnnxWorkerPool } from '../../../src/serving/runtime/index.js';
import { exportOnnx, trainTabularModel } from '../../../src/training/trainer/index.js';
import { withTrainerDefaults } from '../../../src/training/trainer/spec.js';
import { syntheticData } from '../../training/trainer/synthetic.js';

/** A real model: the built-in trainer's logistic regression on synthetic data, exported to ONNX. */
async function tinyModelBytes(): Promise<Uint8Array> {
  const spec = withTrainerDefaults({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 3 });
  const result = await trainTabularModel(syntheticData('linear', 400), spec);
  return exportOnnx(result.model!);
}

describe('dynamic batcher in front of the ONNX worker pool', () => {
  let pool: OnnxWorkerPool;
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = await tinyModelBytes();
    pool = new OnnxWorkerPool({ workers: 2 });
    await pool.load('m:1', bytes, { features: { type: 'float32', data: new Float32Array(4), dims: [1, 4] } });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('answers 64 concurrent requests as an in-process session does, in batches of several requests', async () => {
    const batchRows: number[] = [];
    const batcher = new DynamicBatcher(
      (feeds) => {
        batchRows.push(feeds.features!.dims[0]!);
        return pool.infer('m:1', feeds);
      },
      { maxBatchSize: 16, maxQueueDelayMicros: 2000, maxInFlight: 2 },
    );
    const inputs = Array.from({ length: 64 }, (_, i) => {
      const rows = (i % 3) + 1;
      return Float32Array.from({ length: rows * 4 }, (_, j) => (((i * 31 + j * 7) % 41) - 20) / 4);
    });
    const local = await ort.InferenceSession.create(bytes);
    const expected = await Promise.all(inputs.map(async (x) => Array.from((await local.run({ features: new ort.Tensor('float32', x.slice(), [x.length / 4, 4]) })).probability!.data as Float32Array)));

    const got = await Promise.all(inputs.map((x) => batcher.infer({ features: { type: 'float32', data: x.slice(), dims: [x.length / 4, 4] } })));
    got.forEach((out, i) => {
      expect(out.probability!.dims).toEqual([expected[i]!.length, 1]);
      const values = Array.from(out.probability!.data as Float32Array);
      values.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5));
    });
    expect(batchRows.reduce((a, b) => a + b, 0)).toBe(inputs.reduce((n, x) => n + x.length / 4, 0));
    expect(batchRows.every((n) => n <= 16)).toBe(true);
    expect(Math.max(...batchRows)).toBeGreaterThan(3); // several requests shared a batch
    expect(batchRows.length).toBeLessThan(64);
    await batcher.close();
  });
});
