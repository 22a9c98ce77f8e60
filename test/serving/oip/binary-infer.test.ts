import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/serving/contracts.js';
import type { Tensor } from '../../../src/serving/runtime/index.js';
import { decodeBinaryInferRequest, encodeBinaryInferResponse, type InferRequest } from '../../../src/serving/oip/index.js';

/** A binary-extension body: the JSON header, then each chunk in order. */
function binaryBody(header: InferRequest | string, ...chunks: Uint8Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.length };
}

/** BYTES elements as the extension lays them out: 4-byte little-endian length, then the bytes. */
function bytesElements(...items: (string | Uint8Array)[]): Buffer {
  return Buffer.concat(
    items.flatMap((s) => {
      const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(b.length);
      return [length, b];
    }),
  );
}

const le = (array: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

function binaryFailure(run: () => unknown, code = 'FALAJ_INFERENCE_BINARY_INVALID'): string {
  try {
    run();
  } catch (err) {
    expect(err).toMatchObject({ name: 'InputError', code });
    return (err as Error).message;
  }
  throw new Error('the binary request was accepted');
}

describe('Triton binary tensor data extension', () => {
  it('decodes the spec\'s example: UINT32 [2,2] and BOOL [3] as binary, output requested as binary', () => {
    const model: TensorSpec[] = [
      { name: 'input0', type: 'uint32', shape: [-1, 2] },
      { name: 'input1', type: 'bool', shape: [3] },
    ];
    const { body, headerLength } = binaryBody(
      {
        model_name: 'mymodel',
        inputs: [
          { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
          { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
        ],
        outputs: [{ name: 'output0', parameters: { binary_data: true } }],
      },
      le(Uint32Array.of(1, 2, 3, 0xffffffff)),
      Buffer.from([1, 0, 1]),
    );
    const decoded = decodeBinaryInferRequest(body, headerLength, model, [{ name: 'output0', type: 'float32', shape: [-1, 2] }]);
    expect(decoded.feeds.input0).toEqual({ type: 'uint32', data: Uint32Array.of(1, 2, 3, 0xffffffff), dims: [2, 2] });
    expect(decoded.feeds.input1).toEqual({ type: 'bool', data: Uint8Array.of(1, 0, 1), dims: [3] });
    expect(decoded.outputs).toEqual([{ name: 'output0', binary: true }]);
    expect(decoded.rows).toBe(2);
  });

  it('mixes JSON data and binary inputs, reading binary data in input order, including BYTES and FP16', () => {
    const model: TensorSpec[] = [
      { name: 'text', type: 'string', shape: [-1] },
      { name: 'dense', type: 'float32', shape: [-1, 2] },
      { name: 'half', type: 'float16', shape: [-1] },
      { name: 'ids', type: 'int64', shape: [-1] },
    ];
    const text = bytesElements('hello', '', 'é ✓');
    const { body, headerLength } = binaryBody(
      {
        id: 'mixed',
        inputs: [
          { name: 'text', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: text.length } },
          { name: 'dense', shape: [1, 2], datatype: 'FP32', data: [[0.5, -1]] },
          { name: 'half', shape: [2], datatype: 'FP16', parameters: { binary_data_size: 4 } },
          { name: 'ids', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
        ],
      },
      text,
      le(Uint16Array.of(0x3c00, 0xc000)),
      le(BigInt64Array.of(-1n, 2n ** 62n)),
    );
    const decoded = decodeBinaryInferRequest(body, headerLength, model);
    expect(decoded.id).toBe('mixed');
    expect(decoded.feeds.text).toEqual({ type: 'string', data: ['hello', '', 'é ✓'], dims: [3] });
    expect(decoded.feeds.dense).toEqual({ type: 'float32', data: Float32Array.of(0.5, -1), dims: [1, 2] });
    expect(decoded.feeds.half).toEqual({ type: 'float16', data: Uint16Array.of(0x3c00, 0xc000), dims: [2] });
    expect(decoded.feeds.ids).toEqual({ type: 'int64', data: BigInt64Array.of(-1n, 2n ** 62n), dims: [2] });
  });

  it('copies binary tensors out of the body, so they own their buffers and can be transferred', () => {
    const model: TensorSpec[] = [{ name: 'x', type: 'float32', shape: [-1] }];
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] }, le(Float32Array.of(1, 2)));
    const data = decodeBinaryInferRequest(body, headerLength, model).feeds.x!.data as Float32Array;
    expect(data.buffer).not.toBe(body.buffer);
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(8);
  });

  it('round-trips every datatype: binary request in, binary response out, bytes unchanged', () => {
    const tensors: Tensor[] = [
      { type: 'bool', data: Uint8Array.of(1, 0), dims: [2] },
      { type: 'uint8', data: Uint8Array.of(0, 255), dims: [2] },
      { type: 'uint16', data: Uint16Array.of(1, 65535), dims: [2] },
      { type: 'uint32', data: Uint32Array.of(1, 4294967295), dims: [2] },
      { type: 'uint64', data: BigUint64Array.of(1n, 2n ** 64n - 1n), dims: [2] },
      { type: 'int8', data: Int8Array.of(-128, 127), dims: [2] },
      { type: 'int16', data: Int16Array.of(-32768, 32767), dims: [2] },
      { type: 'int32', data: Int32Array.of(-5, 2147483647), dims: [2] },
      { type: 'int64', data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n), dims: [2] },
      { type: 'float16', data: Uint16Array.of(0x3c00, 0x7e00), dims: [2] },
      { type: 'float32', data: Float32Array.of(0.1, NaN), dims: [2] },
      { type: 'float64', data: Float64Array.of(0.1, -Infinity), dims: [2] },
      { type: 'string', data: ['bytes', '✓'], dims: [2] },
    ];
    const outputs = Object.fromEntries(tensors.map((t) => [`y_${t.type}`, t]));
    const requested = tensors.map((t) => ({ name: `y_${t.type}`, binary: true }));
    const { body, headerLength } = encodeBinaryInferResponse({ modelName: 'm', modelVersion: 1, id: 'rt', outputs, requested });
    const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    expect(header).toMatchObject({ model_name: 'm', model_version: '1', id: 'rt' });
    // The response's header and bytes, fed back as a request, decode to the same tensors.
    const request: InferRequest = {
      inputs: header.outputs.map((o: { name: string; datatype: 'FP32'; shape: number[]; parameters: { binary_data_size: number } }) => {
        expect(o).not.toHaveProperty('data');
        return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: o.parameters.binary_data_size } };
      }),
    };
    const specs = tensors.map((t) => ({ name: `y_${t.type}`, type: t.type, shape: [-1] }));
    const again = binaryBody(request, body.subarray(headerLength));
    const decoded = decodeBinaryInferRequest(again.body, again.headerLength, specs);
    for (const t of tensors) expect(decoded.feeds[`y_${t.type}`], t.type).toEqual(t);
  });

  it('writes JSON data for outputs not asked for as binary, and counts the header in bytes, not characters', () => {
    const outputs: Record<string, Tensor> = {
      'score_✓': { type: 'float32', data: Float32Array.of(0.25, 0.75), dims: [2, 1] },
      label: { type: 'string', data: ['ja', 'nein'], dims: [2] },
    };
    const { body, headerLength } = encodeBinaryInferResponse({
      modelName: 'm',
      id: 'ü',
      outputs,
      requested: [{ name: 'label', binary: false }, { name: 'score_✓', binary: true }],
    });
    const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    expect(header.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [2], data: ['ja', 'nein'] },
      { name: 'score_✓', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: 8 } },
    ]);
    expect(body.subarray(headerLength)).toEqual(le(Float32Array.of(0.25, 0.75)));
    expect(body.length).toBe(headerLength + 8);
  });

  it('writes a plain JSON body when no output is binary', () => {
    const { body, headerLength } = encodeBinaryInferResponse({ modelName: 'm', outputs: { y: { type: 'int32', data: Int32Array.of(1), dims: [1] } } });
    expect(headerLength).toBe(body.length);
    expect(JSON.parse(body.toString('utf8')).outputs[0].data).toEqual([1]);
  });

  describe('rejects malformed binary bodies', () => {
    const model: TensorSpec[] = [{ name: 'x', type: 'float32', shape: [-1] }];
    const x = (size: unknown, shape = [2]) => ({ inputs: [{ name: 'x', shape, datatype: 'FP32', parameters: { binary_data_size: size } }] }) as InferRequest;

    it('a header length outside the body', () => {
      const { body } = binaryBody(x(8), le(Float32Array.of(1, 2)));
      expect(binaryFailure(() => decodeBinaryInferRequest(body, body.length + 1, model))).toContain('Inference-Header-Content-Length is');
      expect(binaryFailure(() => decodeBinaryInferRequest(body, 0, model))).toContain('Inference-Header-Content-Length is 0');
      expect(binaryFailure(() => decodeBinaryInferRequest(body, NaN, model))).toContain('Inference-Header-Content-Length is NaN');
    });

    it('a header that is not JSON, or not an inference request', () => {
      const { body, headerLength } = binaryBody(x(8), le(Float32Array.of(1, 2)));
      expect(binaryFailure(() => decodeBinaryInferRequest(body, headerLength - 1, model))).toContain('are not a JSON inference request');
      const bad = binaryBody('{"inputs":[{"name":"x","shape":[-2],"datatype":"FP32","parameters":{"binary_data_size":0}}]}');
      expect(binaryFailure(() => decodeBinaryInferRequest(bad.body, bad.headerLength, model), 'FALAJ_INFERENCE_INPUT_INVALID')).toMatch(
        /^the inference request header is not valid at \/inputs\/0\/shape\/0: /,
      );
    });

    it('a binary_data_size that is not a whole number of bytes', () => {
      for (const size of [-1, 1.5, '8']) {
        const { body, headerLength } = binaryBody(x(size), le(Float32Array.of(1, 2)));
        expect(binaryFailure(() => decodeBinaryInferRequest(body, headerLength, model))).toBe(
          `input "x": binary_data_size must be a whole number of bytes, not ${JSON.stringify(size)}`,
        );
      }
    });

    it('a size that runs past the body, leaves bytes over, or does not fit the shape', () => {
      const short = binaryBody(x(8), le(Float32Array.of(1)));
      expect(binaryFailure(() => decodeBinaryInferRequest(short.body, short.headerLength, model))).toBe(
        'input "x": binary_data_size is 8 bytes, but only 4 bytes of binary data are left in the body',
      );
      const extra = binaryBody(x(8), le(Float32Array.of(1, 2, 3)));
      expect(binaryFailure(() => decodeBinaryInferRequest(extra.body, extra.headerLength, model))).toContain('the body has 4 bytes after the last input\'s binary data');
      const misfit = binaryBody(x(12), le(Float32Array.of(1, 2, 3)));
      expect(binaryFailure(() => decodeBinaryInferRequest(misfit.body, misfit.headerLength, model))).toBe(
        'input "x": binary_data_size is 12 bytes; shape [2] of FP32 needs 8',
      );
    });

    it('BOOL bytes other than 0 and 1', () => {
      const flags: TensorSpec[] = [{ name: 'b', type: 'bool', shape: [-1] }];
      const { body, headerLength } = binaryBody({ inputs: [{ name: 'b', shape: [2], datatype: 'BOOL', parameters: { binary_data_size: 2 } }] }, Buffer.from([1, 2]));
      expect(binaryFailure(() => decodeBinaryInferRequest(body, headerLength, flags))).toBe('input "b": BOOL element 1 is byte 2; BOOL bytes must be 0 or 1');
    });

    it('BYTES elements that are cut short, too few, too many, or not UTF-8', () => {
      const text: TensorSpec[] = [{ name: 't', type: 'string', shape: [-1] }];
      const send = (count: number, payload: Buffer) => {
        const { body, headerLength } = binaryBody({ inputs: [{ name: 't', shape: [count], datatype: 'BYTES', parameters: { binary_data_size: payload.length } }] }, payload);
        return binaryFailure(() => decodeBinaryInferRequest(body, headerLength, text));
      };
      expect(send(1, bytesElements('hello').subarray(0, 7))).toBe('input "t": BYTES element 0 declares 5 bytes, only 3 are left');
      expect(send(2, bytesElements('a'))).toBe('input "t": binary_data_size is 5 bytes, too few for the 2 BYTES elements shape [2] needs (4 bytes each at least)');
      expect(send(2, bytesElements('abcd'))).toBe('input "t": binary data ends after 1 of the 2 BYTES elements shape [2] needs');
      expect(send(2 ** 40, bytesElements('a'))).toContain('too few for the 1099511627776 BYTES elements');
      expect(send(1, bytesElements('a', 'b'))).toBe('input "t": 5 bytes are left after the 1 BYTES elements shape [1] needs; check binary_data_size');
      expect(send(1, bytesElements(Uint8Array.of(0xff, 0xfe)))).toBe('input "t": BYTES element 0 is not UTF-8 text; ONNX string tensors carry text only');
    });

    it('an input with both JSON data and binary data', () => {
      const { body, headerLength } = binaryBody({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1, 2], parameters: { binary_data_size: 8 } }] }, le(Float32Array.of(1, 2)));
      expect(binaryFailure(() => decodeBinaryInferRequest(body, headerLength, model), 'FALAJ_INFERENCE_INPUT_INVALID')).toBe('input "x" has both data and binary_data_size; send one');
    });
  });
});
