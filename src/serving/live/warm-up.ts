import type { TensorSpec } from '../contracts.js';
import type { Tensor, TensorArray, TensorType } from '../runtime/index.js';

const ARRAYS: Record<string, new (n: number) => TensorArray> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array,
  int64: BigInt64Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  bool: Uint8Array, float16: Uint16Array,
};

/**
 * One all-zeros row for every input (free dimensions as 1), so ONNX Runtime does its lazy
 * initialisation at load time instead of on the first request. Undefined when an input
 * has a type the runtime cannot take from JavaScript (the first request then warms it).
 */
export function warmUpFeeds(inputs: readonly TensorSpec[]): Record<string, Tensor> | undefined {
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    const dims = input.shape.map((d) => (d < 0 ? 1 : d));
    const size = dims.reduce((a, b) => a * b, 1);
    if (input.type === 'string') {
      feeds[input.name] = { type: 'string', data: new Array<string>(size).fill(''), dims };
      continue;
    }
    const Array_ = ARRAYS[input.type];
    if (!Array_) return undefined;
    feeds[input.name] = { type: input.type as TensorType, data: new Array_(size), dims };
  }
  return feeds;
}
