import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { Tensor, TensorType } from '../../../src/serving/runtime/index.js';
import {
  decodeBinaryInferRequest,
  decodeInferRequest,
  encodeBinaryInferResponse,
  encodeInferResponse,
  type InferRequest,
} from '../../../src/serving/oip/index.js';
import { identityModel } from './identity-model.js';

/** Runs decoded feeds through a real ONNX Runtime session, converting as the inference worker does. */
async function run(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as never, t.dims)]));
    const out = await session.run(ortFeeds);
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { type: t.type as TensorType, data: t.data as Tensor['data'], dims: [...t.dims] }]));
  } finally {
    await session.release();
  }
}

// One JSON input per datatype, two rows each.
const INPUTS: { type: TensorType; datatype: string; data: unknown[] }[] = [
  { type: 'bool', datatype: 'BOOL', data: [[true, false], [false, true]] },
  { type: 'uint8', datatype: 'UINT8', data: [0, 255, 7, 8] },
  { type: 'uint16', datatype: 'UINT16', data: [0, 65535, 7, 8] },
  { type: 'uint32', datatype: 'UINT32', data: [0, 4294967295, 7, 8] },
  { type: 'uint64', datatype: 'UINT64', data: [0, 2 ** 53, 7, 8] },
  { type: 'int8', datatype: 'INT8', data: [[-128, 127], [7, 8]] },
  { type: 'int16', datatype: 'INT16', data: [-32768, 32767, 7, 8] },
  { type: 'int32', datatype: 'INT32', data: [-2147483648, 2147483647, 7, 8] },
  { type: 'int64', datatype: 'INT64', data: [-(2 ** 53), 2 ** 53, 7, 8] },
  { type: 'float16', datatype: 'FP16', data: [1, -2, 0.333251953125, 65504] },
  { type: 'float32', datatype: 'FP32', data: [[0.5, -1.25], [3, 1e-3]] },
  { type: 'float64', datatype: 'FP64', data: [0.1, -1e300, 7, 8] },
  { type: 'string', datatype: 'BYTES', data: [['a', 'é ✓'], ['', 'long text']] },
];

describe('OIP codec with a real ONNX Runtime session', () => {
  it('decodes a JSON request of every datatype into tensors ORT accepts, and encodes what ORT returns', async () => {
    const model = identityModel(INPUTS.map((i) => ({ name: `x_${i.type}`, type: i.type, width: 2 })));
    const request: InferRequest = {
      id: 'all-types',
      inputs: INPUTS.map((i) => ({ name: `x_${i.type}`, datatype: i.datatype as 'FP32', shape: [2, 2], data: i.data })),
    };
    const decoded = decodeInferRequest(request, model.inputs, model.outputs);
    const outputs = await run(model.bytes, decoded.feeds);
    const response = encodeInferResponse({ modelName: 'identity', modelVersion: 1, id: decoded.id, outputs, requested: decoded.outputs });
    expect(response.id).toBe('all-types');
    for (const input of INPUTS) {
      const out = response.outputs.find((o) => o.name === `x_${input.type}_out`);
      expect(out, input.type).toMatchObject({ datatype: input.datatype, shape: [2, 2] });
      const expected = input.data.flat();
      expect(out!.data, input.type).toEqual(input.type === 'float32' ? expected.map((v) => Math.fround(v as number)) : expected);
    }
  });

  it('feeds binary tensors straight to ORT and returns its outputs as binary, bytes unchanged', async () => {
    const model = identityModel([
      { name: 'pixels', type: 'uint8', width: 4 },
      { name: 'half', type: 'float16', width: 2 },
      { name: 'text', type: 'string', width: 1 },
    ]);
    const pixels = Uint8Array.of(1, 2, 3, 4, 250, 251, 252, 253);
    const half = Uint16Array.of(0x3c00, 0x3555, 0x7bff, 0x8001);
    const text = Buffer.concat(['α', 'beta'].flatMap((s) => [Buffer.from(Uint32Array.of(Buffer.byteLength(s)).buffer), Buffer.from(s)]));
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'pixels', shape: [2, 4], datatype: 'UINT8', parameters: { binary_data_size: 8 } },
          { name: 'half', shape: [2, 2], datatype: 'FP16', parameters: { binary_data_size: 8 } },
          { name: 'text', shape: [2, 1], datatype: 'BYTES', parameters: { binary_data_size: text.length } },
        ],
        parameters: { binary_data_output: true },
      }),
    );
    const body = Buffer.concat([header, pixels, Buffer.from(half.buffer), text]);
    const decoded = decodeBinaryInferRequest(body, header.length, model.inputs, model.outputs);
    const outputs = await run(model.bytes, decoded.feeds);
    const response = encodeBinaryInferResponse({ modelName: 'identity', outputs, requested: decoded.outputs });
    const json = JSON.parse(response.body.subarray(0, response.headerLength).toString('utf8'));
    expect(json.outputs.map((o: { name: string; parameters: unknown }) => [o.name, o.parameters])).toEqual([
      ['pixels_out', { binary_data_size: 8 }],
      ['half_out', { binary_data_size: 8 }],
      ['text_out', { binary_data_size: text.length }],
    ]);
    // the binary part of the response is the binary part of the request: an identity, byte for byte
    expect(response.body.subarray(response.headerLength)).toEqual(body.subarray(header.length));
  });
});
