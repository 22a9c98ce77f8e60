import type { TensorSpec } from '../../../src/serving/contracts.js';
import { ProtoWriter } from '../../../src/training/trainer/protobuf-writer.js';

/**
 * A test fixture: ONNX models that echo their inputs, one `Identity` node per input, so a
 * test can feed tensors of any element type through a real ONNX Runtime session and read
 * them back unchanged.
 *
 * @example
 * const model = identityModel([{ name: 'x', type: 'float32', width: 3 }, { name: 'ids', type: 'int64' }]);
 * const session = await ort.InferenceSession.create(model.bytes);
 * model.inputs;  // [{ name: 'x', type: 'float32', shape: [-1, 3] }, { name: 'ids', type: 'int64', shape: [-1, 1] }]
 * model.outputs; // [{ name: 'x_out', … }, { name: 'ids_out', … }]
 */

/** One echoed tensor: by default shaped `['N', width]`; `shape` overrides (a string is a symbolic dimension). */
export interface IdentityTensor {
  name: string;
  /** ONNX Runtime element type name: float32, int64, bool, string, float16, … */
  type: string;
  /** size of dimension 1 (default 1) */
  width?: number;
  shape?: (number | string)[];
  /** the output's name (default `${name}_out`) */
  output?: string;
}

export interface IdentityModel {
  bytes: Uint8Array;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** TensorProto.DataType numbers (onnx.proto3) by ORT type name. */
export const ONNX_ELEM_TYPES: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};

// Field numbers from onnx/onnx.proto3.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 };
const GRAPH = { node: 1, name: 2, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4 };
const IR_VERSION = 8;
const OPSET = 13;

/** Builds the identity model's bytes and the TensorSpecs of its inputs and outputs. */
export function identityModel(tensors: readonly IdentityTensor[]): IdentityModel {
  const entries = tensors.map((t) => {
    const elemType = ONNX_ELEM_TYPES[t.type];
    if (elemType === undefined) throw new Error(`identityModel: no ONNX element type for "${t.type}"`);
    return { ...t, elemType, shape: t.shape ?? ['N', t.width ?? 1], output: t.output ?? `${t.name}_out` };
  });
  const bytes = new ProtoWriter()
    .varint(MODEL.irVersion, IR_VERSION)
    .string(MODEL.producerName, 'falaj-test')
    .message(MODEL.opsetImport, (w) => w.string(1, '').varint(2, OPSET))
    .message(MODEL.graph, (graph) => {
      entries.forEach((e, i) =>
        graph.message(GRAPH.node, (w) => w.string(NODE.input, e.name).string(NODE.output, e.output).string(NODE.name, `identity_${i}`).string(NODE.opType, 'Identity')),
      );
      graph.string(GRAPH.name, 'identity');
      for (const e of entries) graph.message(GRAPH.input, (w) => valueInfo(w, e.name, e.elemType, e.shape));
      for (const e of entries) graph.message(GRAPH.output, (w) => valueInfo(w, e.output, e.elemType, e.shape));
    })
    .finish();
  const specShape = (shape: (number | string)[]) => shape.map((d) => (typeof d === 'number' ? d : -1));
  return {
    bytes,
    inputs: entries.map((e) => ({ name: e.name, type: e.type, shape: specShape(e.shape) })),
    outputs: entries.map((e) => ({ name: e.output, type: e.type, shape: specShape(e.shape) })),
  };
}

/** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type, shape } } }. */
function valueInfo(w: ProtoWriter, name: string, elemType: number, shape: (number | string)[]): void {
  w.string(1, name).message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.varint(1, elemType).message(2, (s) => {
        for (const d of shape) s.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
      }),
    ),
  );
}
