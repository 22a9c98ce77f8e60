import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/serving/contracts.js';
import { decodeInferRequest, type InferRequest } from '../../../src/serving/oip/index.js';

const features: TensorSpec = { name: 'features', type: 'float32', shape: [-1, 3] };
const ids: TensorSpec = { name: 'ids', type: 'int64', shape: [-1, 1] };
const score: TensorSpec = { name: 'score', type: 'float32', shape: [-1, 1] };

type Input = InferRequest['inputs'][number];
const fp32 = (data: unknown[], shape = [2, 3]): Input => ({ name: 'features', datatype: 'FP32', shape, data });

/** The message of the InputError a decode throws (and that it is the right code). */
function failure(body: InferRequest, inputs: TensorSpec[] = [features], outputs?: TensorSpec[]): string {
  try {
    decodeInferRequest(body, inputs, outputs);
  } catch (err) {
    expect(err).toMatchObject({ name: 'InputError', code: 'FALAJ_INFERENCE_INPUT_INVALID' });
    return (err as Error).message;
  }
  throw new Error('decodeInferRequest accepted the request');
}

describe('decodeInferRequest', () => {
  it('turns a flat FP32 input into a Float32Array with the request shape, echoing the id and counting rows', () => {
    const decoded = decodeInferRequest({ id: 'r1', inputs: [fp32([1, 2, 3, 4, 5, 6.5])] }, [features]);
    expect(decoded.id).toBe('r1');
    expect(decoded.rows).toBe(2);
    expect(decoded.outputs).toBeUndefined();
    const t = decoded.feeds.features!;
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6.5]);
  });

  it('reads nested data in row-major order, the same as flat data', () => {
    const nested = decodeInferRequest({ inputs: [fp32([[1, 2, 3], [4, 5, 6]])] }, [features]);
    const flat = decodeInferRequest({ inputs: [fp32([1, 2, 3, 4, 5, 6])] }, [features]);
    expect(nested.feeds.features).toEqual(flat.feeds.features);
    const cube: TensorSpec = { name: 'cube', type: 'int32', shape: [-1, 2, 2] };
    const t = decodeInferRequest({ inputs: [{ name: 'cube', datatype: 'INT32', shape: [2, 2, 2], data: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] }] }, [cube]);
    expect(Array.from(t.feeds.cube!.data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('decodes every datatype into the typed array ONNX Runtime takes', () => {
    const cases: [string, string, unknown[], (data: unknown) => unknown[]][] = [
      ['bool', 'BOOL', [true, false], (d) => Array.from(d as Uint8Array)],
      ['uint8', 'UINT8', [0, 255], (d) => Array.from(d as Uint8Array)],
      ['uint16', 'UINT16', [0, 65535], (d) => Array.from(d as Uint16Array)],
      ['uint32', 'UINT32', [0, 4294967295], (d) => Array.from(d as Uint32Array)],
      ['uint64', 'UINT64', [0, 2 ** 53], (d) => Array.from(d as BigUint64Array)],
      ['int8', 'INT8', [-128, 127], (d) => Array.from(d as Int8Array)],
      ['int16', 'INT16', [-32768, 32767], (d) => Array.from(d as Int16Array)],
      ['int32', 'INT32', [-2147483648, 2147483647], (d) => Array.from(d as Int32Array)],
      ['int64', 'INT64', [-(2 ** 53), 2 ** 53], (d) => Array.from(d as BigInt64Array)],
      ['float16', 'FP16', [1, -2], (d) => Array.from(d as Uint16Array)],
      ['float32', 'FP32', [0.5, -1e30], (d) => Array.from(d as Float32Array)],
      ['float64', 'FP64', [0.1, -1e300], (d) => Array.from(d as Float64Array)],
      ['string', 'BYTES', ['a', 'é ✓'], (d) => d as string[]],
    ];
    const expected: Record<string, { ctor: unknown; values: unknown[] }> = {
      bool: { ctor: Uint8Array, values: [1, 0] },
      uint64: { ctor: BigUint64Array, values: [0n, 2n ** 53n] },
      int64: { ctor: BigInt64Array, values: [-(2n ** 53n), 2n ** 53n] },
      float16: { ctor: Uint16Array, values: [0x3c00, 0xc000] },
      float32: { ctor: Float32Array, values: [0.5, Math.fround(-1e30)] },
      string: { ctor: Array, values: ['a', 'é ✓'] },
    };
    for (const [type, datatype, data, read] of cases) {
      const spec: TensorSpec = { name: 'x', type, shape: [-1] };
      const t = decodeInferRequest({ inputs: [{ name: 'x', datatype: datatype as 'FP32', shape: [2], data }] }, [spec]).feeds.x!;
      expect(t.type, datatype).toBe(type);
      expect(read(t.data), datatype).toEqual(expected[type]?.values ?? data);
      if (expected[type]) expect(t.data, datatype).toBeInstanceOf(expected[type].ctor as never);
    }
  });

  it('takes the requested outputs, with binary flags from the output or the request-wide default', () => {
    const body: InferRequest = {
      parameters: { binary_data_output: true },
      inputs: [fp32([1, 2, 3], [1, 3])],
      outputs: [{ name: 'score' }, { name: 'features_echo', parameters: { binary_data: false } }],
    };
    const echo: TensorSpec = { name: 'features_echo', type: 'float32', shape: [-1, 3] };
    expect(decodeInferRequest(body, [features], [score, echo]).outputs).toEqual([
      { name: 'score', binary: true },
      { name: 'features_echo', binary: false },
    ]);
    const all = decodeInferRequest({ parameters: { binary_data_output: true }, inputs: body.inputs }, [features], [score, echo]);
    expect(all.outputs).toEqual([{ name: 'score', binary: true }, { name: 'features_echo', binary: true }]);
    expect(decodeInferRequest({ inputs: body.inputs, outputs: [{ name: 'score' }] }, [features], [score]).outputs).toEqual([{ name: 'score', binary: false }]);
  });

  it('counts rows from dimension 0 of the first input, and a scalar as one row', () => {
    expect(decodeInferRequest({ inputs: [fp32([], [0, 3])] }, [features]).rows).toBe(0);
    const scalar: TensorSpec = { name: 's', type: 'float64', shape: [] };
    expect(decodeInferRequest({ inputs: [{ name: 's', datatype: 'FP64', shape: [], data: [2.5] }] }, [scalar]).rows).toBe(1);
  });

  describe('rejects, naming the input', () => {
    it('an input the model does not have', () => {
      expect(failure({ inputs: [fp32([1, 2, 3], [1, 3]), { name: 'extra', datatype: 'FP32', shape: [1], data: [1] }] })).toBe(
        'the model has no input "extra"; its inputs are "features"',
      );
    });

    it('a missing input', () => {
      expect(failure({ inputs: [fp32([1, 2, 3], [1, 3])] }, [features, ids])).toBe('the model needs input "ids" (INT64 [-1, 1]); the request has none');
    });

    it('an input given twice', () => {
      expect(failure({ inputs: [fp32([1, 2, 3], [1, 3]), fp32([1, 2, 3], [1, 3])] })).toBe('input "features" is given more than once');
    });

    it('a datatype other than the model\'s', () => {
      expect(failure({ inputs: [{ name: 'features', datatype: 'FP64', shape: [1, 3], data: [1, 2, 3] }] })).toBe(
        'input "features" is FP32 in the model; the request says FP64',
      );
    });

    it('a rank other than the model\'s', () => {
      expect(failure({ inputs: [fp32([1, 2, 3], [3])] })).toBe('input "features" has rank 2 in the model (FP32 [-1, 3]); the request\'s shape [3] has rank 1');
    });

    it('a fixed dimension that does not match', () => {
      expect(failure({ inputs: [fp32([1, 2, 3, 4], [1, 4])] })).toBe('input "features": dimension 1 must be 3 (model shape [-1, 3]); the request\'s shape is [1, 4]');
    });

    it('an element count other than the shape holds', () => {
      expect(failure({ inputs: [fp32([1, 2, 3, 4, 5])] })).toBe('input "features": shape [2, 3] holds 6 elements, data has 5');
    });

    it('nested data whose structure does not match the shape', () => {
      expect(failure({ inputs: [fp32([[1, 2, 3], [4, 5]])] })).toBe('input "features": data[1] has 2 entries, shape [2, 3] needs 3 at dimension 1');
      expect(failure({ inputs: [fp32([[1, 2, 3]])] })).toBe('input "features": data has 1 entries, shape [2, 3] needs 2 at dimension 0');
      expect(failure({ inputs: [fp32([[1, 2, [3]], [4, 5, 6]])] })).toBe('input "features": data[0][2] nests deeper than shape [2, 3]');
      expect(failure({ inputs: [fp32([[1, 2, 3], 4])] })).toBe('input "features": data[1] is 4 where shape [2, 3] needs an array');
      // a huge shape is refused by its structure, without allocating for it
      expect(failure({ inputs: [fp32([[1, 2, 3]], [2 ** 40, 3])] })).toBe('input "features": data has 1 entries, shape [1099511627776, 3] needs 1099511627776 at dimension 0');
    });

    it('an element of the wrong kind', () => {
      expect(failure({ inputs: [fp32(['1', 2, 3], [1, 3])] })).toBe('input "features": element 0 is "1"; FP32 takes numbers');
      expect(failure({ inputs: [fp32([1, null, 3], [1, 3])] })).toBe('input "features": element 1 is null; FP32 takes numbers');
      expect(failure({ inputs: [fp32([1, 2, [3]], [1, 3])] })).toBe('input "features": element 2 is an array; FP32 takes numbers');
      const i32: TensorSpec = { name: 'n', type: 'int32', shape: [-1] };
      expect(failure({ inputs: [{ name: 'n', datatype: 'INT32', shape: [2], data: [1, 2.5] }] }, [i32])).toBe(
        'input "n": element 1 is 2.5; INT32 takes integers (JSON numbers without a fraction)',
      );
      const i64: TensorSpec = { name: 'n', type: 'int64', shape: [-1] };
      expect(failure({ inputs: [{ name: 'n', datatype: 'INT64', shape: [1], data: ['12'] }] }, [i64])).toBe(
        'input "n": element 0 is "12"; INT64 takes integers (JSON numbers without a fraction)',
      );
      const flag: TensorSpec = { name: 'b', type: 'bool', shape: [-1] };
      expect(failure({ inputs: [{ name: 'b', datatype: 'BOOL', shape: [2], data: [true, 1] }] }, [flag])).toBe('input "b": element 1 is 1; BOOL takes true or false');
      const text: TensorSpec = { name: 't', type: 'string', shape: [-1] };
      expect(failure({ inputs: [{ name: 't', datatype: 'BYTES', shape: [1], data: [7] }] }, [text])).toBe('input "t": element 0 is 7; BYTES takes strings');
    });

    it('an integer out of its datatype\'s range', () => {
      const at = (type: string, datatype: string, value: number) =>
        failure({ inputs: [{ name: 'n', datatype: datatype as 'INT8', shape: [1], data: [value] }] }, [{ name: 'n', type, shape: [-1] }]);
      expect(at('int8', 'INT8', 128)).toBe('input "n": element 0 is 128, out of range for INT8 (-128 to 127)');
      expect(at('uint8', 'UINT8', -1)).toBe('input "n": element 0 is -1, out of range for UINT8 (0 to 255)');
      expect(at('uint16', 'UINT16', 65536)).toContain('out of range for UINT16 (0 to 65535)');
      expect(at('int32', 'INT32', 2 ** 31)).toContain('out of range for INT32');
      expect(at('uint32', 'UINT32', 2 ** 32)).toContain('out of range for UINT32');
      expect(at('int64', 'INT64', 2 ** 63)).toBe('input "n": element 0 is 9223372036854776000, out of range for INT64 (-2^63 to 2^63 - 1)');
      expect(at('uint64', 'UINT64', 2 ** 64)).toBe('input "n": element 0 is 18446744073709552000, out of range for UINT64 (0 to 2^64 - 1)');
    });

    it('a requested output the model does not have, or one asked twice', () => {
      const body = (outputs: { name: string }[]): InferRequest => ({ inputs: [fp32([1, 2, 3], [1, 3])], outputs });
      expect(failure(body([{ name: 'nope' }]), [features], [score])).toBe('the model has no output "nope"; its outputs are "score"');
      expect(failure(body([{ name: 'score' }, { name: 'score' }]), [features], [score])).toBe('output "score" is requested more than once');
    });

    it('a binary flag that is not a boolean', () => {
      expect(failure({ inputs: [fp32([1, 2, 3], [1, 3])], outputs: [{ name: 'score', parameters: { binary_data: 'yes' } }] }, [features], [score])).toBe(
        'output "score": parameter binary_data must be true or false, not "yes"',
      );
    });

    it('an input with no data, or with binary data in a plain JSON body', () => {
      expect(failure({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3] }] })).toBe('input "features" has no data');
      expect(failure({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }] })).toContain(
        'input "features" declares binary_data_size, but the body is plain JSON',
      );
    });

    it('a model input whose element type OIP cannot feed', () => {
      const bf16: TensorSpec = { name: 'h', type: 'bfloat16', shape: [-1] };
      expect(failure({ inputs: [{ name: 'h', datatype: 'BF16', shape: [1], data: [1] }] }, [bf16])).toBe(
        'input "h" is bfloat16 in the model, a type the Open Inference Protocol endpoint cannot feed',
      );
    });
  });
});
