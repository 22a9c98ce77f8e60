import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Tensor } from '../../../src/serving/runtime/index.js';
import { encodeInferResponse, needsBinaryResponse, OipInferResponse, serializeInferResponse } from '../../../src/serving/oip/index.js';

const checkResponse = TypeCompiler.Compile(OipInferResponse);

/** One output tensor of each type, and the JSON `datatype` and `data` it must answer with. */
const EVERY_TYPE: [Tensor, string, unknown[]][] = [
  [{ type: 'bool', data: Uint8Array.of(1, 0), dims: [2] }, 'BOOL', [true, false]],
  [{ type: 'uint8', data: Uint8Array.of(0, 255), dims: [2] }, 'UINT8', [0, 255]],
  [{ type: 'uint16', data: Uint16Array.of(0, 65535), dims: [2] }, 'UINT16', [0, 65535]],
  [{ type: 'uint32', data: Uint32Array.of(0, 4294967295), dims: [2] }, 'UINT32', [0, 4294967295]],
  [{ type: 'uint64', data: BigUint64Array.of(0n, 2n ** 53n), dims: [2] }, 'UINT64', [0, 2 ** 53]],
  [{ type: 'int8', data: Int8Array.of(-128, 127), dims: [2] }, 'INT8', [-128, 127]],
  [{ type: 'int16', data: Int16Array.of(-32768, 32767), dims: [2] }, 'INT16', [-32768, 32767]],
  [{ type: 'int32', data: Int32Array.of(-2147483648, 7), dims: [2] }, 'INT32', [-2147483648, 7]],
  [{ type: 'int64', data: BigInt64Array.of(-(2n ** 53n), 42n), dims: [2] }, 'INT64', [-(2 ** 53), 42]],
  [{ type: 'float16', data: Uint16Array.of(0x3c00, 0x3555), dims: [2] }, 'FP16', [1, 0.333251953125]],
  [{ type: 'float32', data: Float32Array.of(0.5, 0.1), dims: [2] }, 'FP32', [0.5, Math.fround(0.1)]],
  [{ type: 'float64', data: Float64Array.of(0.1, -1e300), dims: [2] }, 'FP64', [0.1, -1e300]],
  [{ type: 'string', data: ['a', 'é "quoted" ✓'], dims: [2] }, 'BYTES', ['a', 'é "quoted" ✓']],
];

describe('encodeInferResponse', () => {
  it('writes every datatype as a flat JSON array with its OIP datatype and shape', () => {
    for (const [tensor, datatype, data] of EVERY_TYPE) {
      const response = encodeInferResponse({ modelName: 'm', outputs: { y: tensor } });
      expect(response.outputs, datatype).toEqual([{ name: 'y', datatype, shape: [2], data }]);
    }
  });

  it('echoes the id and the model version, and only carries what was asked for, in that order', () => {
    const outputs: Record<string, Tensor> = {
      a: { type: 'float32', data: Float32Array.of(1, 2, 3, 4), dims: [2, 2] },
      b: { type: 'int32', data: Int32Array.of(5), dims: [1, 1] },
      c: { type: 'bool', data: Uint8Array.of(1), dims: [1] },
    };
    const response = encodeInferResponse({ modelName: 'churn', modelVersion: 3, id: '42', outputs, requested: [{ name: 'b', binary: false }, { name: 'a', binary: false }] });
    expect(response).toEqual({
      model_name: 'churn',
      model_version: '3',
      id: '42',
      outputs: [
        { name: 'b', datatype: 'INT32', shape: [1, 1], data: [5] },
        { name: 'a', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] },
      ],
    });
    expect(checkResponse.Check(response)).toBe(true);
    const everything = encodeInferResponse({ modelName: 'churn', outputs });
    expect(everything.outputs.map((o) => o.name)).toEqual(['a', 'b', 'c']);
    expect(everything).not.toHaveProperty('id');
    expect(everything).not.toHaveProperty('model_version');
  });

  it('fails clearly when the model did not return an output that was asked for', () => {
    expect(() => encodeInferResponse({ modelName: 'm', outputs: {}, requested: [{ name: 'y', binary: false }] })).toThrow(
      expect.objectContaining({ code: 'FALAJ_INFERENCE_FAILED', message: 'the model returned no output "y"' }),
    );
  });
});

describe('serializeInferResponse', () => {
  it('writes the same response as JSON.stringify of encodeInferResponse, for every datatype', () => {
    const outputs = Object.fromEntries(EVERY_TYPE.map(([tensor, datatype]) => [`out_${datatype}`, tensor]));
    const source = { modelName: 'mödel "x"', modelVersion: '7', id: 'req\n1', outputs };
    const text = serializeInferResponse(source);
    expect(JSON.parse(text)).toEqual(encodeInferResponse(source));
    expect(text).toBe(JSON.stringify(encodeInferResponse(source)));
  });

  it('writes an empty tensor and a scalar', () => {
    const text = serializeInferResponse({
      modelName: 'm',
      outputs: { e: { type: 'float32', data: new Float32Array(0), dims: [0, 3] }, s: { type: 'int64', data: BigInt64Array.of(9n), dims: [] } },
    });
    expect(JSON.parse(text).outputs).toEqual([
      { name: 'e', datatype: 'FP32', shape: [0, 3], data: [] },
      { name: 's', datatype: 'INT64', shape: [], data: [9] },
    ]);
  });

  it('writes 64-bit integers with every digit, even past 2^53', () => {
    const text = serializeInferResponse({ modelName: 'm', outputs: { y: { type: 'int64', data: BigInt64Array.of(2n ** 63n - 1n, -(2n ** 63n)), dims: [2] } } });
    expect(text).toContain('"data":[9223372036854775807,-9223372036854775808]');
    const u = serializeInferResponse({ modelName: 'm', outputs: { y: { type: 'uint64', data: BigUint64Array.of(2n ** 64n - 1n), dims: [1] } } });
    expect(u).toContain('"data":[18446744073709551615]');
  });

  it('writes NaN and infinities as Triton does by default, or as null when asked for strict JSON', () => {
    const source = { modelName: 'm', outputs: { y: { type: 'float32' as const, data: Float32Array.of(NaN, Infinity, -Infinity, 1), dims: [4] } } };
    expect(serializeInferResponse(source)).toContain('"data":[NaN,Infinity,-Infinity,1]');
    const strict = serializeInferResponse(source, { nonFinite: 'null' });
    expect(JSON.parse(strict).outputs[0].data).toEqual([null, null, null, 1]);
    const half = serializeInferResponse({ modelName: 'm', outputs: { h: { type: 'float16', data: Uint16Array.of(0x7e00, 0xfc00), dims: [2] } } });
    expect(half).toContain('"data":[NaN,-Infinity]');
  });
});

describe('needsBinaryResponse', () => {
  it('is true when any requested output wants binary data', () => {
    expect(needsBinaryResponse(undefined)).toBe(false);
    expect(needsBinaryResponse([{ name: 'a', binary: false }])).toBe(false);
    expect(needsBinaryResponse([{ name: 'a', binary: false }, { name: 'b', binary: true }])).toBe(true);
  });
});
