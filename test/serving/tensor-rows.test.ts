import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '../../src/serving/contracts.js';
import { toLogLines } from '../../src/serving/prediction-log/log-row.js';
import { loggedTensorRows, tensorRows } from '../../src/serving/predict/tensor-rows.js';
import type { Tensor } from '../../src/serving/runtime/index.js';

const base: Omit<PredictionRecord, 'features'> = {
  predictionId: 'p-1', project: 'shop', deployment: 'churn', variant: 'stable', model: 'm', modelVersion: 1,
  requestedAt: Date.UTC(2024, 0, 1), latencyMs: 1, status: 'ok', error: null, shadow: false, protocol: 'oip', entities: [], outputs: [],
};

/** The log lines of a record whose features are `features`. */
function lines(features: PredictionRecord['features']): string[] {
  return toLogLines({ ...base, features });
}

describe('loggedTensorRows', () => {
  const cases: Array<[string, Record<string, Tensor>, number, string[] | null, 'matrix' | 'objects']> = [
    ['a named float32 matrix, with NaN and ±Infinity as null', { x: { type: 'float32', data: new Float32Array([0.1, -0, NaN, 3, Infinity, -Infinity]), dims: [2, 3] } }, 2, ['a', 'b "quoted"', 'c\\d'], 'matrix'],
    ['a named float64 matrix', { x: { type: 'float64', data: new Float64Array([1e-300, 2.5, 1e21, -7]), dims: [2, 2] } }, 2, ['p', 'q'], 'matrix'],
    ['a named int32 matrix', { x: { type: 'int32', data: new Int32Array([1, -2, 3, 4]), dims: [1, 4] } }, 1, ['w', 'x', 'y', 'z'], 'matrix'],
    ['a named int64 matrix (BigInt)', { x: { type: 'int64', data: new BigInt64Array([1n, 2n ** 40n]), dims: [1, 2] } }, 1, ['small', 'big'], 'objects'],
    ['a float16 matrix (bits)', { x: { type: 'float16', data: new Uint16Array([0x3c00, 0x4000]), dims: [1, 2] } }, 1, ['h1', 'h2'], 'objects'],
    ['one input per feature', { age: { type: 'float32', data: new Float32Array([31, 45]), dims: [2, 1] }, plan: { type: 'string', data: ['pro', 'free'], dims: [2, 1] } }, 2, null, 'objects'],
    ['a wider unnamed input', { v: { type: 'float32', data: new Float32Array([1, 2, 3, 4]), dims: [2, 2] } }, 2, null, 'objects'],
    ['names that do not match the width', { v: { type: 'float32', data: new Float32Array([1, 2, 3, 4]), dims: [2, 2] } }, 2, ['only-one'], 'objects'],
  ];

  it.each(cases)('logs %s exactly as rows of objects would be logged', (_name, feeds, rows, names, kind) => {
    const logged = loggedTensorRows(feeds, rows, names);
    expect(Array.isArray(logged) ? 'objects' : 'matrix').toBe(kind);
    expect(lines(logged)).toEqual(lines(tensorRows(feeds, rows, names)));
  });

  it('keeps its own copy: the feeds can be transferred (detached) after it is made', () => {
    const data = new Float32Array([1, 2]);
    const logged = loggedTensorRows({ x: { type: 'float32', data, dims: [1, 2] } }, 1, ['a', 'b']);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(data.length).toBe(0);
    expect(JSON.parse(JSON.parse(lines(logged)[0]!).features)).toEqual({ a: 1, b: 2 });
  });
});
