import { describe, expect, it } from 'vitest';
import { concatFeeds, describeFeeds, splitOutputs } from '../../../src/serving/batching/index.js';
import type { Tensor } from '../../../src/serving/runtime/index.js';

const f32 = (values: number[], dims: number[]): Tensor => ({ type: 'float32', data: Float32Array.from(values), dims });

describe('tensor batches', () => {
  it('keys requests by input names, types and dims past dim 0, not by their rows or key order', () => {
    const a = describeFeeds({ x: f32([1, 2, 3, 4], [2, 2]), ids: { type: 'int64', data: BigInt64Array.from([1n, 2n]), dims: [2] } });
    const b = describeFeeds({ ids: { type: 'int64', data: BigInt64Array.from([5n]), dims: [1] }, x: f32([5, 6], [1, 2]) });
    expect(a.rows).toBe(2);
    expect(b.rows).toBe(1);
    expect(a.shapeKey).toBe(b.shapeKey);
    expect(describeFeeds({ x: f32([1, 2, 3], [1, 3]) }).shapeKey).not.toBe(describeFeeds({ x: f32([1, 2], [1, 2]) }).shapeKey);
    expect(describeFeeds({ x: { type: 'int32', data: Int32Array.from([1, 2]), dims: [1, 2] } }).shapeKey).not.toBe(describeFeeds({ x: f32([1, 2], [1, 2]) }).shapeKey);
    expect(describeFeeds({ y: f32([1, 2], [1, 2]) }).shapeKey).not.toBe(describeFeeds({ x: f32([1, 2], [1, 2]) }).shapeKey);
  });

  it('refuses feeds that cannot be batched, saying why', () => {
    expect(() => describeFeeds({})).toThrow(expect.objectContaining({ code: 'FALAJ_INFERENCE_INPUT_INVALID' }));
    expect(() => describeFeeds({ x: f32([1], []) })).toThrow(/dim 0/);
    expect(() => describeFeeds({ x: f32([], [0, 2]) })).toThrow(/≥ 1 row/);
    expect(() => describeFeeds({ x: f32([1, 2, 3], [1, 2]) })).toThrow(/3 elements/);
    expect(() => describeFeeds({ x: f32([1, 2], [1, 2]), z: f32([1, 2, 3, 4], [2, 2]) })).toThrow(/disagree on the batch size/);
  });

  it('concatenates float32, int64 and string tensors along dim 0 in request order', () => {
    const batch = concatFeeds(
      [
        { x: f32([1, 2], [1, 2]), ids: { type: 'int64', data: BigInt64Array.from([10n]), dims: [1, 1] }, w: { type: 'string', data: ['a'], dims: [1] } },
        { x: f32([3, 4, 5, 6], [2, 2]), ids: { type: 'int64', data: BigInt64Array.from([20n, 30n]), dims: [2, 1] }, w: { type: 'string', data: ['b', 'c'], dims: [2] } },
      ],
      3,
    );
    expect(batch.x).toEqual({ type: 'float32', data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [3, 2] });
    expect(batch.ids).toEqual({ type: 'int64', data: BigInt64Array.from([10n, 20n, 30n]), dims: [3, 1] });
    expect(batch.w).toEqual({ type: 'string', data: ['a', 'b', 'c'], dims: [3] });
  });

  it('reads typed arrays that are views into a larger buffer', () => {
    const backing = Float32Array.from([9, 9, 1, 2, 9]);
    const batch = concatFeeds([{ x: { type: 'float32', data: backing.subarray(2, 4), dims: [1, 2] } }, { x: f32([3, 4], [1, 2]) }], 2);
    expect(Array.from(batch.x!.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('splits outputs by row ranges into parts that each own their buffer', () => {
    const out = { p: f32([1, 2, 3, 4, 5, 6], [3, 2]), s: { type: 'string' as const, data: ['a', 'b', 'c'], dims: [3] } };
    const [first, second] = splitOutputs(out, [1, 2]);
    expect(first!.p).toEqual(f32([1, 2], [1, 2]));
    expect(second!.p).toEqual(f32([3, 4, 5, 6], [2, 2]));
    expect(second!.s).toEqual({ type: 'string', data: ['b', 'c'], dims: [2] });
    const a = first!.p!.data as Float32Array;
    const b = second!.p!.data as Float32Array;
    expect(a.buffer).not.toBe((out.p.data as Float32Array).buffer);
    expect(a.buffer.byteLength).toBe(a.byteLength); // transferable without dragging the batch along
    expect(b.buffer.byteLength).toBe(b.byteLength);
  });

  it('refuses to split an output whose dim 0 is not the batch', () => {
    expect(() => splitOutputs({ mean: f32([1], [1]) }, [1, 2])).toThrow(expect.objectContaining({ code: 'FALAJ_INFERENCE_FAILED', name: 'InputError' }));
    expect(() => splitOutputs({ scalar: f32([1], []) }, [1, 2])).toThrow(/batch as dim 0/);
  });
});
