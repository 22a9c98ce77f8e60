import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors/index.js';
import { readOnnxSignature } from '../../src/registry/index.js';
import { linearRegressionOnnx, model, pb, tensorType, valueInfo } from './onnx-builder.js';

const X = { name: 'X', kind: 'tensor', elemType: 'float32', shape: ['N', 3] };
const Y = { name: 'Y', kind: 'tensor', elemType: 'float32', shape: ['N', 1] };

const ONNX_LIBRARY_LOGREG =
  'CAcSC29ubngtaGVscGVyOrYCCh4KCGZlYXR1cmVzCgFXCgFCEgZsb2dpdHMiBEdlbW0KLQoGbG9naXRzEg1wcm9iYWJpbGl0aWVzIgdTb2Z0bWF4KgsKBGF4aXMYAaABAgo8Cg1wcm9iYWJpbGl0aWVzEgVsYWJlbCIGQXJnTWF4KgsKBGF4aXMYAaABAioPCghrZWVwZGltcxgAoAECEgZsb2dyZWcqKwgECAIQASIgzczMPc3MzD3NzMw9zczMPc3MzD3NzMw9zczMPc3MzD1CAVcqEQgCEAEiCAAAAAAAAAAAQgFCWh8KCGZlYXR1cmVzEhMKEQgBEg0KBxIFYmF0Y2gKAggEYiQKDXByb2JhYmlsaXRpZXMSEwoRCAESDQoHEgViYXRjaAoCCAJiGAoFbGFiZWwSDwoNCAcSCQoHEgViYXRjaEIECgAQDQ==';

/** Deterministic bytes, so a failing fuzz case can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

async function failure(bytes: Uint8Array): Promise<unknown> {
  try {
    await readOnnxSignature(bytes);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('ONNX signature', () => {
  it('reads inputs and outputs of a hand-encoded linear regression model (onnx.checker accepts it), leaving initializers out', async () => {
    const sig = await readOnnxSignature(linearRegressionOnnx());
    expect(sig).toEqual({ inputs: [X], outputs: [Y], irVersion: 8, opsetVersion: 17, producer: 'falaj-test' });
  });

  it('reads a model serialized by the onnx library itself', async () => {
    // made with onnx 1.23 (helper.make_model; onnx.checker.check_model(full_check=True) passes):
    // Gemm → Softmax → ArgMax, input features float [batch, 4], initializers W and B, opset 13
    const bytes = Buffer.from(ONNX_LIBRARY_LOGREG, 'base64');
    expect(await readOnnxSignature(bytes)).toEqual({
      inputs: [{ name: 'features', kind: 'tensor', elemType: 'float32', shape: ['batch', 4] }],
      outputs: [
        { name: 'probabilities', kind: 'tensor', elemType: 'float32', shape: ['batch', 2] },
        { name: 'label', kind: 'tensor', elemType: 'int64', shape: ['batch'] },
      ],
      irVersion: 7,
      opsetVersion: 13,
      producer: 'onnx-helper',
    });
  });

  it('gives the same answer from a stream in one-byte chunks', async () => {
    const bytes = linearRegressionOnnx();
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await readOnnxSignature(Readable.from(chunks))).toEqual(await readOnnxSignature(bytes));
  });

  it('skips a large initializer while streaming (weights are never needed)', async () => {
    const big = linearRegressionOnnx(2_000_000); // 8 MB of weights
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    const sig = await readOnnxSignature(Readable.from(chunks));
    expect(sig.inputs).toEqual([{ ...X, shape: ['N', 2_000_000] }]);
    expect(sig.outputs).toEqual([Y]);
  });

  it('decodes every element type, fixed, symbolic, unknown and negative dimensions, scalars and unknown ranks', async () => {
    const types: [number, string][] = [[1, 'float32'], [2, 'uint8'], [3, 'int8'], [5, 'int16'], [6, 'int32'], [7, 'int64'], [8, 'string'], [9, 'bool'], [10, 'float16'], [11, 'float64'], [12, 'uint32'], [13, 'uint64'], [99, 'unknown(99)']];
    const bytes = model([
      ...types.map(([code, name]) => valueInfo(11, `in_${name}`, tensorType(code, [2, 'batch', null]))),
      valueInfo(11, 'scalar', tensorType(7, [])),
      valueInfo(11, 'any_rank', tensorType(1, null)),
      valueInfo(11, 'minus_one', tensorType(1, [-1, 4])),
      valueInfo(11, 'sparse', tensorType(1, [10, 10], true)),
      valueInfo(11, 'seq', pb.message(4, pb.bytes(1, tensorType(1, [3])))),
      pb.fixed32(99, 1.5), // a field this reader does not know: skipped
      valueInfo(12, 'label', tensorType(7, ['N'])),
      valueInfo(12, 'probabilities', tensorType(1, ['N', 2])),
    ]);
    const sig = await readOnnxSignature(bytes);
    expect(sig.inputs.slice(0, types.length)).toEqual(types.map(([, name]) => ({ name: `in_${name}`, kind: 'tensor', elemType: name, shape: [2, 'batch', null] })));
    expect(sig.inputs.slice(types.length)).toEqual([
      { name: 'scalar', kind: 'tensor', elemType: 'int64', shape: [] },
      { name: 'any_rank', kind: 'tensor', elemType: 'float32', shape: null },
      { name: 'minus_one', kind: 'tensor', elemType: 'float32', shape: [-1, 4] },
      { name: 'sparse', kind: 'sparse_tensor', elemType: 'float32', shape: [10, 10] },
      { name: 'seq', kind: 'sequence', elemType: null, shape: null },
    ]);
    expect(sig.outputs.map((o) => [o.name, o.elemType, o.shape])).toEqual([['label', 'int64', ['N']], ['probabilities', 'float32', ['N', 2]]]);
  });

  it('refuses things that are not ONNX models with a clear InputError', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty file', new Uint8Array(0), /no ir_version/],
      ['JSON', Buffer.from('{"model": "not onnx"}'), /not a valid ONNX model/],
      ['PNG header', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), /not a valid ONNX model/],
      ['no graph', pb.int(1, 8), /no graph/],
      ['graph without outputs', model([valueInfo(11, 'X', tensorType(1, [1]))]), /declares no outputs/],
      ['graph sent as a number', Buffer.concat([pb.int(1, 8), pb.int(7, 3)]), /ModelProto.graph has wire type 0/],
      ['output with no name', model([pb.message(12, pb.bytes(2, tensorType(1, [1])))]), /has no name/],
      ['length beyond the end', Buffer.concat([pb.int(1, 8), Buffer.from([0x3a, 0xff, 0xff, 0x03])]), /ends/],
    ];
    for (const [label, bytes, message] of cases) {
      const err = await failure(bytes);
      expect(err, label).toBeInstanceOf(InputError);
      expect((err as InputError).code, label).toBe('FALAJ_ONNX_INVALID');
      expect((err as Error).message, label).toMatch(message);
    }
  });

  it('answers every truncation of a model with either an InputError or the signature, never a crash', async () => {
    const bytes = linearRegressionOnnx();
    const full = await readOnnxSignature(bytes);
    const graphEnd = bytes.length - pb.message(8, pb.string(1, ''), pb.int(2, 17)).length;
    for (let cut = 0; cut < bytes.length; cut++) {
      const err = await failure(bytes.subarray(0, cut));
      if (cut < graphEnd) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(InputError);
      } else if (err) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(InputError);
      } else {
        expect((await readOnnxSignature(bytes.subarray(0, cut))).inputs).toEqual(full.inputs);
      }
    }
  });

  it('fuzz: random bytes and random byte flips give InputError or a signature, never another error', async () => {
    const random = prng(42);
    const original = linearRegressionOnnx();
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
      } else {
        bytes = Buffer.from(original);
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const err = await failure(bytes);
      if (err === undefined) continue;
      if (!(err instanceof InputError)) throw new Error(`case ${i} (${bytes.toString('hex')}) threw ${String(err)}`);
      refused++;
    }
    expect(refused).toBeGreaterThan(1500); // random bytes are (almost) never a model
  });
});
