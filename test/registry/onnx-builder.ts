/**
 * A protobuf wire-format writer, just big enough to hand-encode small ONNX models for
 * tests (field numbers from onnx/onnx.proto3). Independent of the reader under test.
 */
function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (field: number, wire: number) => varint((field << 3) | wire);

export const pb = {
  int: (field: number, value: number | bigint) => Buffer.concat([key(field, 0), varint(value)]),
  bytes: (field: number, payload: Buffer) => Buffer.concat([key(field, 2), varint(payload.length), payload]),
  string: (field: number, text: string) => pb.bytes(field, Buffer.from(text, 'utf8')),
  message: (field: number, ...parts: Buffer[]) => pb.bytes(field, Buffer.concat(parts)),
  fixed32: (field: number, value: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    return Buffer.concat([key(field, 5), b]);
  },
};

export type Dim = number | string | null;

/** TypeProto with a tensor_type (or sparse_tensor_type). */
export function tensorType(elemType: number, shape: Dim[] | null, sparse = false): Buffer {
  const dims = shape?.map((d) => pb.message(1, d === null ? Buffer.alloc(0) : typeof d === 'number' ? pb.int(1, d) : pb.string(2, d)));
  const tensor = Buffer.concat([pb.int(1, elemType), ...(dims ? [pb.message(2, ...dims)] : [])]);
  return pb.bytes(sparse ? 8 : 1, tensor);
}

/** ValueInfoProto (field `field` of GraphProto: 11 input, 12 output). */
export function valueInfo(field: number, name: string, type: Buffer, doc?: string): Buffer {
  return pb.message(field, pb.string(1, name), pb.bytes(2, type), ...(doc ? [pb.string(3, doc)] : []));
}

/** TensorProto of float32 values as an initializer (GraphProto field 5). */
export function floatInitializer(name: string, dims: number[], values: number[]): Buffer {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  // dims (1), data_type (2) = FLOAT, name (8), raw_data (9)
  return pb.message(5, ...dims.map((d) => pb.int(1, d)), pb.int(2, 1), pb.string(8, name), pb.bytes(9, raw));
}

/** NodeProto (GraphProto field 1). */
export function node(op: string, inputs: string[], outputs: string[]): Buffer {
  return pb.message(1, ...inputs.map((i) => pb.string(1, i)), ...outputs.map((o) => pb.string(2, o)), pb.string(3, `${op}_0`), pb.string(4, op));
}

/** ModelProto around a graph's parts. */
export function model(graphParts: Buffer[], options: { irVersion?: number; opset?: number; producer?: string } = {}): Buffer {
  return Buffer.concat([
    pb.int(1, options.irVersion ?? 8),
    pb.string(2, options.producer ?? 'falaj-test'),
    pb.string(3, '1.0'),
    pb.message(7, ...graphParts),
    pb.message(8, pb.string(1, ''), pb.int(2, options.opset ?? 17)),
  ]);
}

/**
 * `Y = X · W + B`: input X float32 [N, 3], output Y float32 [N, 1]; W and B are
 * initializers, and W is also listed as a graph input (as IR < 4 exporters do), which
 * must not make it a model input.
 */
export function linearRegressionOnnx(weightCount = 3): Buffer {
  const weights = Array.from({ length: weightCount }, (_, i) => i + 0.5);
  return model([
    node('MatMul', ['X', 'W'], ['XW']),
    node('Add', ['XW', 'B'], ['Y']),
    pb.string(2, 'linear'),
    floatInitializer('W', [weightCount, 1], weights),
    floatInitializer('B', [1], [0.25]),
    valueInfo(11, 'X', tensorType(1, ['N', weightCount]), 'features'),
    valueInfo(11, 'W', tensorType(1, [weightCount, 1])),
    valueInfo(12, 'Y', tensorType(1, ['N', 1])),
  ]);
}
