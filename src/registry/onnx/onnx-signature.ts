import { invalid, MessageReader, StreamReader, type Tag, toInt64, WIRE_LEN, WIRE_VARINT } from './protobuf-reader.js';

/** One graph input or output, as ONNX declares it. */
export interface OnnxValueSpec {
  name: string;
  /** what kind of value: almost always `tensor` */
  kind: 'tensor' | 'sparse_tensor' | 'sequence' | 'map' | 'optional' | 'unknown';
  /** element type name (`float32`, `int64`, …); null when not a tensor or not declared */
  elemType: string | null;
  /** one entry per dimension: a size, a symbolic name (`N`, `batch`), or null (unknown); null = rank unknown */
  shape: (number | string | null)[] | null;
}

/** A model's input/output signature, read from the ONNX file itself. */
export interface OnnxSignature {
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  irVersion: number;
  /** version of the default (`ai.onnx`) operator set, when declared */
  opsetVersion: number | null;
  producer: string | null;
  /** `ModelProto.metadata_props` (e.g. the built-in trainer's `falaj.feature_names`), when any */
  metadata?: Record<string, string>;
}

/** TensorProto.DataType (onnx.proto3) by number, with numpy-style names. */
const ELEM_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
};

// Field numbers from onnx/onnx.proto3.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8, metadataProps: 14 };
const GRAPH = { initializer: 5, input: 11, output: 12, sparseInitializer: 15 };
const TENSOR_NAME = 8;
const SPARSE_VALUES = 1;

/** Largest single input/output declaration we accept (they are tiny in practice). */
const MAX_VALUE_INFO_BYTES = 1 << 20;
const MAX_NAME_BYTES = 64 * 1024;

/**
 * Reads the inputs and outputs of an ONNX model (`ModelProto.graph.input/output`) by
 * decoding the protobuf wire format by hand, with no ONNX or protobuf dependency. Graph
 * inputs that are initializers (weights given a default) are not model inputs and are
 * left out. Streams: weights are skipped as they pass, never held in memory.
 *
 * @throws InputError `FALAJ_ONNX_INVALID` when the bytes are not an ONNX model
 * @example
 * const sig = await readOnnxSignature(createReadStream('model.onnx'));
 * sig.inputs; // [{ name: 'X', kind: 'tensor', elemType: 'float32', shape: ['N', 3] }]
 */
export async function readOnnxSignature(source: Uint8Array | AsyncIterable<Uint8Array>): Promise<OnnxSignature> {
  const iterable: AsyncIterable<Uint8Array> = source instanceof Uint8Array ? (async function* () { yield source; })() : source;
  const reader = new StreamReader(iterable[Symbol.asyncIterator]());
  let irVersion: number | null = null;
  let opsetVersion: number | null = null;
  let producer: string | null = null;
  let graph: { inputs: OnnxValueSpec[]; outputs: OnnxValueSpec[]; initializers: Set<string> } | undefined;
  const metadata: Record<string, string> = {};
  while (!(await reader.atEnd())) {
    const tag = await reader.tag();
    if (tag.field === MODEL.irVersion) {
      expectWire(tag, WIRE_VARINT, 'ModelProto.ir_version');
      irVersion = toInt64(await reader.varint());
    } else if (tag.field === MODEL.producerName) {
      expectWire(tag, WIRE_LEN, 'ModelProto.producer_name');
      producer = decodeText(await reader.take(await reader.length(), MAX_NAME_BYTES));
    } else if (tag.field === MODEL.opsetImport) {
      expectWire(tag, WIRE_LEN, 'ModelProto.opset_import');
      const opset = readOpset(await reader.take(await reader.length(), MAX_NAME_BYTES));
      if (opset.domain === '' || opset.domain === 'ai.onnx') opsetVersion = opset.version;
    } else if (tag.field === MODEL.metadataProps && tag.wire === WIRE_LEN) {
      const entry = readStringEntry(await reader.take(await reader.length(), MAX_VALUE_INFO_BYTES));
      if (entry) metadata[entry.key] = entry.value;
    } else if (tag.field === MODEL.graph) {
      expectWire(tag, WIRE_LEN, 'ModelProto.graph');
      if (graph) throw invalid('more than one graph');
      const length = await reader.length();
      graph = await readGraph(reader, reader.position + length);
    } else {
      await reader.skip(tag.wire);
    }
  }
  if (irVersion === null || irVersion <= 0) throw invalid('no ir_version: is this an ONNX file?');
  if (!graph) throw invalid('no graph: is this an ONNX file?');
  if (graph.outputs.length === 0) throw invalid('the graph declares no outputs');
  return {
    inputs: graph.inputs.filter((i) => !graph!.initializers.has(i.name)),
    outputs: graph.outputs,
    irVersion,
    opsetVersion,
    producer,
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}

/** A `StringStringEntryProto` (key = 1, value = 2). */
function readStringEntry(bytes: Uint8Array): { key: string; value: string } | undefined {
  const r = new MessageReader(bytes);
  let key: string | undefined;
  let value = '';
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1 && tag.wire === WIRE_LEN) key = r.string();
    else if (tag.field === 2 && tag.wire === WIRE_LEN) value = r.string();
    else r.skip(tag.wire);
  }
  return key === undefined ? undefined : { key, value };
}

async function readGraph(reader: StreamReader, end: number) {
  const inputs: OnnxValueSpec[] = [];
  const outputs: OnnxValueSpec[] = [];
  const initializers = new Set<string>();
  while (reader.position < end) {
    const tag = await reader.tag();
    if (tag.field === GRAPH.input || tag.field === GRAPH.output) {
      expectWire(tag, WIRE_LEN, tag.field === GRAPH.input ? 'GraphProto.input' : 'GraphProto.output');
      const spec = readValueInfo(await reader.take(await reader.length(), MAX_VALUE_INFO_BYTES));
      (tag.field === GRAPH.input ? inputs : outputs).push(spec);
    } else if (tag.field === GRAPH.initializer) {
      expectWire(tag, WIRE_LEN, 'GraphProto.initializer');
      const length = await reader.length();
      const name = await tensorName(reader, reader.position + length);
      if (name) initializers.add(name);
    } else if (tag.field === GRAPH.sparseInitializer) {
      expectWire(tag, WIRE_LEN, 'GraphProto.sparse_initializer');
      const sparseLength = await reader.length();
      const sparseEnd = reader.position + sparseLength;
      while (reader.position < sparseEnd) {
        const inner = await reader.tag();
        if (inner.field === SPARSE_VALUES && inner.wire === WIRE_LEN) {
          const length = await reader.length();
          const name = await tensorName(reader, reader.position + length);
          if (name) initializers.add(name);
        } else await reader.skip(inner.wire);
      }
      checkEnd(reader, sparseEnd, 'sparse_initializer');
    } else {
      await reader.skip(tag.wire);
    }
  }
  checkEnd(reader, end, 'graph');
  return { inputs, outputs, initializers };
}

/** The name of a TensorProto, streaming past its data. */
async function tensorName(reader: StreamReader, end: number): Promise<string | undefined> {
  let name: string | undefined;
  while (reader.position < end) {
    const tag = await reader.tag();
    if (tag.field === TENSOR_NAME && tag.wire === WIRE_LEN) {
      const length = await reader.length();
      name = decodeText(await reader.take(length, MAX_NAME_BYTES));
    }
    else await reader.skip(tag.wire);
  }
  checkEnd(reader, end, 'initializer');
  return name;
}

function readValueInfo(bytes: Uint8Array): OnnxValueSpec {
  const r = new MessageReader(bytes);
  let name: string | undefined;
  let type: Omit<OnnxValueSpec, 'name'> = { kind: 'unknown', elemType: null, shape: null };
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1) {
      expectWire(tag, WIRE_LEN, 'ValueInfoProto.name');
      name = r.string();
    } else if (tag.field === 2) {
      expectWire(tag, WIRE_LEN, 'ValueInfoProto.type');
      type = readType(r.bytes());
    } else r.skip(tag.wire);
  }
  if (!name) throw invalid('a graph input or output has no name');
  return { name, ...type };
}

/** TypeProto's `value` oneof, by field number. */
const TYPE_KINDS: Record<number, OnnxValueSpec['kind']> = { 1: 'tensor', 4: 'sequence', 5: 'map', 8: 'sparse_tensor', 9: 'optional' };

function readType(bytes: Uint8Array): Omit<OnnxValueSpec, 'name'> {
  const r = new MessageReader(bytes);
  let out: Omit<OnnxValueSpec, 'name'> = { kind: 'unknown', elemType: null, shape: null };
  while (!r.done()) {
    const tag = r.tag();
    const kind = TYPE_KINDS[tag.field];
    if (!kind || tag.wire !== WIRE_LEN) {
      r.skip(tag.wire);
      continue;
    }
    const body = r.bytes();
    // tensors carry element type and shape; sequences, maps and optionals are described by kind only
    out = kind === 'tensor' || kind === 'sparse_tensor' ? { kind, ...readTensorType(body) } : { kind, elemType: null, shape: null };
  }
  return out;
}

function readTensorType(bytes: Uint8Array): { elemType: string | null; shape: (number | string | null)[] | null } {
  const r = new MessageReader(bytes);
  let elemType: string | null = null;
  let shape: (number | string | null)[] | null = null;
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1) {
      expectWire(tag, WIRE_VARINT, 'TypeProto.Tensor.elem_type');
      const code = toInt64(r.varint());
      elemType = code === 0 ? null : (ELEM_TYPES[code] ?? `unknown(${code})`);
    } else if (tag.field === 2) {
      expectWire(tag, WIRE_LEN, 'TypeProto.Tensor.shape');
      shape = readShape(r.bytes());
    } else r.skip(tag.wire);
  }
  return { elemType, shape };
}

function readShape(bytes: Uint8Array): (number | string | null)[] {
  const r = new MessageReader(bytes);
  const dims: (number | string | null)[] = [];
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field !== 1) {
      r.skip(tag.wire);
      continue;
    }
    expectWire(tag, WIRE_LEN, 'TensorShapeProto.dim');
    const d = new MessageReader(r.bytes());
    let dim: number | string | null = null;
    while (!d.done()) {
      const inner = d.tag();
      if (inner.field === 1 && inner.wire === WIRE_VARINT) dim = toInt64(d.varint());
      else if (inner.field === 2 && inner.wire === WIRE_LEN) dim = d.string();
      else d.skip(inner.wire);
    }
    dims.push(dim);
  }
  return dims;
}

function readOpset(bytes: Uint8Array): { domain: string; version: number | null } {
  const r = new MessageReader(bytes);
  let domain = '';
  let version: number | null = null;
  while (!r.done()) {
    const tag = r.tag();
    if (tag.field === 1 && tag.wire === WIRE_LEN) domain = r.string();
    else if (tag.field === 2 && tag.wire === WIRE_VARINT) version = toInt64(r.varint());
    else r.skip(tag.wire);
  }
  return { domain, version };
}

function expectWire(tag: Tag, wire: number, what: string): void {
  if (tag.wire !== wire) throw invalid(`${what} has wire type ${tag.wire}, expected ${wire}`);
}

function checkEnd(reader: StreamReader, end: number, what: string): void {
  if (reader.position !== end) throw invalid(`a field runs past the end of its ${what}`);
}

const textDecoder = new TextDecoder('utf-8');
function decodeText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}
