import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxSignature } from '../../../src/registry/onnx/onnx-signature.js';
import { MessageReader } from '../../../src/registry/onnx/protobuf-reader.js';
import { exportOnnx, parseTrainerSpec, predict, trainTabularModel, type TabularModel } from '../../../src/training/trainer/index.js';
import { syntheticData, type Shape } from './synthetic.js';

/** ModelProto.metadata_props (field 14) read back with the registry's protobuf reader. */
function metadataOf(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const model = new MessageReader(bytes);
  while (!model.done()) {
    const tag = model.tag();
    if (tag.field !== 14) {
      model.skip(tag.wire);
      continue;
    }
    const entry = new MessageReader(model.bytes());
    let key = '';
    let value = '';
    while (!entry.done()) {
      const t = entry.tag();
      if (t.field === 1) key = entry.string();
      else if (t.field === 2) value = entry.string();
      else entry.skip(t.wire);
    }
    out[key] = value;
  }
  return out;
}

async function runOnnx(bytes: Uint8Array, x: Float64Array, width: number, output: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { features: new ort.Tensor('float32', Float32Array.from(x), [x.length / width, width]) };
    const result = await session.run(feeds);
    expect(result[output]!.dims).toEqual([x.length / width, 1]);
    return result[output]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const cases: { task: 'binary' | 'regression'; model: 'linear' | 'mlp'; shape: Shape }[] = [
  { task: 'binary', model: 'linear', shape: 'linear' },
  { task: 'binary', model: 'mlp', shape: 'xor' },
  { task: 'regression', model: 'linear', shape: 'regression' },
  { task: 'regression', model: 'mlp', shape: 'regression' },
];

describe.each(cases)('ONNX export: $task $model', ({ task, model, shape }) => {
  let fitted: TabularModel;
  const data = syntheticData(shape, 2_000, 21, { nullShare: 0.1, width: 5 });
  // regression: a target near unit scale, so that 1e-5 is within float32 precision of the output
  if (task === 'regression') data.y.forEach((v, i) => (data.y[i] = (v - 300) / 100));

  it('ONNX Runtime reproduces the trainer\'s predictions (max abs difference < 1e-5), nulls included', async () => {
    const result = await trainTabularModel(data, parseTrainerSpec({ type: 'tabular', task, label: 'target', model, hidden: [16, 8], epochs: 5 }));
    fitted = result.model!;
    const bytes = exportOnnx(fitted);
    // every row of the set, with NaN for the ~10% nulls of the last feature
    expect(data.x.some((v) => Number.isNaN(v))).toBe(true);
    const ours = predict(fitted, data.x);
    const theirs = await runOnnx(bytes, data.x, 5, task === 'binary' ? 'probability' : 'prediction');
    expect(maxAbsDifference(ours, theirs)).toBeLessThan(1e-5);
    // far outside the training range the outputs are large: they agree to float32 precision
    const extreme = Float64Array.from([1e4, -1e4, 0, Number.NaN, 5, Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    const [a, b] = [predict(fitted, extreme), await runOnnx(bytes, extreme, 5, task === 'binary' ? 'probability' : 'prediction')];
    for (let i = 0; i < 2; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b[i]!)));
    // not a constant model: predictions vary
    expect(Math.max(...ours) - Math.min(...ours)).toBeGreaterThan(0.1);
  });

  it('the registry reads its signature and the metadata names the features in input order', async () => {
    const bytes = exportOnnx(fitted, { metadata: { 'falaj.extra': 'kept' } });
    const signature = await readOnnxSignature(bytes);
    const { metadata: read, ...rest } = signature;
    expect(rest).toEqual({
      inputs: [{ name: 'features', kind: 'tensor', elemType: 'float32', shape: ['N', 5] }],
      outputs: [{ name: task === 'binary' ? 'probability' : 'prediction', kind: 'tensor', elemType: 'float32', shape: ['N', 1] }],
      irVersion: 8,
      opsetVersion: 13,
      producer: 'falaj',
    });
    const metadata = metadataOf(bytes);
    expect(read).toEqual(metadata); // the registry's reader sees the same metadata_props
    expect(JSON.parse(metadata['falaj.feature_names']!)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    expect(metadata).toMatchObject({ 'falaj.task': task, 'falaj.label': 'target', 'falaj.trainer': 'tabular', 'falaj.extra': 'kept' });
  });
});

describe('ONNX graph preprocessing', () => {
  it('a null sent as NaN is scored as the training mean', async () => {
    const data = syntheticData('linear', 1_000, 22);
    const { model } = await trainTabularModel(data, parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 3 }));
    const mean = model!.standardizer.mean;
    const withNull = Float64Array.from([1, 2, Number.NaN, 4]);
    const withMean = Float64Array.from([1, 2, mean[2]!, 4]);
    const onnx = exportOnnx(model!);
    const [a, b] = [await runOnnx(onnx, withNull, 4, 'probability'), await runOnnx(onnx, withMean, 4, 'probability')];
    expect(a[0]).toBe(b[0]);
    expect(predict(model!, withNull)[0]).toBe(predict(model!, withMean)[0]);
  });
});
