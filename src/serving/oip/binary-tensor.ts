import { InputError } from '../../core/errors/index.js';
import type { Tensor, TensorArray, TensorType } from '../runtime/index.js';
import type { ElementKind } from './datatypes.js';
import { fmtShape } from './tensor-data.js';

/**
 * Tensors in the byte layout of Triton's binary tensor data extension: little-endian, row
 * major, no padding; BOOL one byte (0 or 1); FP16 the raw half bits; each BYTES element a
 * 4-byte little-endian length followed by its bytes.
 */

type TypedArrayConstructor = new (buffer: ArrayBuffer) => TensorArray;

const ARRAYS: Record<Exclude<TensorType, 'string'>, TypedArrayConstructor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Typed arrays hold the machine's byte order; every Node platform in use is little-endian, but not all. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One input's binary data as the typed data ORT takes. Always copies into a fresh buffer:
 * the request body's buffer may be shared (Node pools small Buffers) and the tensor's is
 * transferred to an inference worker.
 *
 * @throws InputError `FALAJ_INFERENCE_BINARY_INVALID` when the bytes do not hold `count` elements
 */
export function readBinaryTensor(input: string, kind: ElementKind, shape: readonly number[], count: number, bytes: Uint8Array): TensorArray | string[] {
  if (kind.type === 'string') return readBytesElements(input, shape, count, bytes);
  const expected = count * kind.bytes;
  if (bytes.length !== expected) {
    throw invalid(`input "${input}": binary_data_size is ${bytes.length} bytes; shape ${fmtShape(shape)} of ${kind.datatype} needs ${expected}`);
  }
  const buffer = new ArrayBuffer(expected);
  const copy = new Uint8Array(buffer);
  copy.set(bytes);
  if (kind.type === 'bool') {
    const bad = copy.findIndex((b) => b > 1);
    if (bad >= 0) throw invalid(`input "${input}": BOOL element ${bad} is byte ${copy[bad]}; BOOL bytes must be 0 or 1`);
  }
  if (!LITTLE_ENDIAN) swapEach(copy, kind.bytes);
  return new ARRAYS[kind.type](buffer);
}

/**
 * A tensor's elements in the binary layout, ready to append to a response body. A typed
 * array is viewed in place (little-endian machines), never copied.
 */
export function binaryTensorBytes(tensor: Tensor): Uint8Array {
  const { data } = tensor;
  if (Array.isArray(data)) return writeBytesElements(data);
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapEach(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function readBytesElements(input: string, shape: readonly number[], count: number, bytes: Uint8Array): string[] {
  // each element takes at least its 4-byte length: check before sizing anything from the shape
  if (count * 4 > bytes.length) {
    throw invalid(`input "${input}": binary_data_size is ${bytes.length} bytes, too few for the ${count} BYTES elements shape ${fmtShape(shape)} needs (4 bytes each at least)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = new Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) {
      throw invalid(`input "${input}": binary data ends after ${i} of the ${count} BYTES elements shape ${fmtShape(shape)} needs`);
    }
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.length) throw invalid(`input "${input}": BYTES element ${i} declares ${length} bytes, only ${bytes.length - at} are left`);
    try {
      out[i] = utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw invalid(`input "${input}": BYTES element ${i} is not UTF-8 text; ONNX string tensors carry text only`);
    }
    at += length;
  }
  if (at !== bytes.length) {
    throw invalid(`input "${input}": ${bytes.length - at} bytes are left after the ${count} BYTES elements shape ${fmtShape(shape)} needs; check binary_data_size`);
  }
  return out;
}

function writeBytesElements(strings: readonly string[]): Uint8Array {
  const encoded = strings.map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(encoded.reduce((n, e) => n + 4 + e.length, 0));
  let at = 0;
  for (const e of encoded) {
    out.writeUInt32LE(e.length, at);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/** Reverses the bytes of each element: the wire is little-endian whatever the machine is. */
function swapEach(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}

function invalid(message: string): InputError {
  return new InputError('FALAJ_INFERENCE_BINARY_INVALID', message);
}
