import { InputError } from '../../core/errors/index.js';
import type { Tensor, TensorArray } from '../runtime/index.js';
import type { ElementKind } from './datatypes.js';
import { floatToHalf, halfToFloat } from './half-float.js';

/** A JSON tensor element as the codec writes it. */
export type JsonElement = number | boolean | string;

/**
 * The elements of `data` in row-major order, checked against `shape`. OIP REST spec,
 * "Tensor Data": elements may come flat or nested in their natural multi-dimensional form.
 * A flat array is returned as it is (no copy); nested data is walked once.
 *
 * @throws InputError `FALAJ_INFERENCE_INPUT_INVALID` naming the input and the place that does not fit
 */
export function flattenTensorData(input: string, data: readonly unknown[], shape: readonly number[], count: number): readonly unknown[] {
  if (data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== count) throw invalid(`input "${input}": shape ${fmtShape(shape)} holds ${count} elements, data has ${data.length}`);
    return data;
  }
  // grown, not sized from the shape: a hostile shape must not allocate before it is checked
  const out: unknown[] = [];
  const walk = (level: unknown[], depth: number, at: string): void => {
    const expected = shape[depth];
    if (expected === undefined) throw invalid(`input "${input}": data${at} nests deeper than shape ${fmtShape(shape)}`);
    if (level.length !== expected) {
      throw invalid(`input "${input}": data${at} has ${level.length} entries, shape ${fmtShape(shape)} needs ${expected} at dimension ${depth}`);
    }
    const leaf = depth === shape.length - 1;
    for (let i = 0; i < level.length; i++) {
      const v = level[i];
      if (Array.isArray(v)) {
        if (leaf) throw invalid(`input "${input}": data${at}[${i}] nests deeper than shape ${fmtShape(shape)}`);
        walk(v, depth + 1, `${at}[${i}]`);
      } else {
        if (!leaf) throw invalid(`input "${input}": data${at}[${i}] is ${describe(v)} where shape ${fmtShape(shape)} needs an array`);
        out.push(v);
      }
    }
  };
  walk(data as unknown[], 0, '');
  return out;
}

/**
 * Row-major JSON elements as the typed data ONNX Runtime's Node binding takes: Float32Array
 * for float32, Uint8Array of 0/1 for bool, Uint16Array of half bits for float16,
 * BigInt64Array/BigUint64Array for int64/uint64, string[] for string.
 *
 * @throws InputError `FALAJ_INFERENCE_INPUT_INVALID` for an element of the wrong kind or out of range
 */
export function toTensorData(input: string, kind: ElementKind, values: readonly unknown[]): TensorArray | string[] {
  const n = values.length;
  switch (kind.type) {
    case 'float32': {
      // The hot path (small float feature vectors at high request rates): one tight loop.
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') throw wrongKind(input, kind, i, v);
        out[i] = v;
      }
      return out;
    }
    case 'float64':
      return fillNumbers(input, kind, values, new Float64Array(n));
    case 'float16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') throw wrongKind(input, kind, i, v);
        out[i] = floatToHalf(v);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'boolean') throw wrongKind(input, kind, i, v);
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'string': {
      const out: string[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'string') throw wrongKind(input, kind, i, v);
        out[i] = v;
      }
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out = kind.type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(checkedInteger(input, kind, i, values[i]));
      return out;
    }
    case 'int8':
      return fillIntegers(input, kind, values, new Int8Array(n));
    case 'int16':
      return fillIntegers(input, kind, values, new Int16Array(n));
    case 'int32':
      return fillIntegers(input, kind, values, new Int32Array(n));
    case 'uint8':
      return fillIntegers(input, kind, values, new Uint8Array(n));
    case 'uint16':
      return fillIntegers(input, kind, values, new Uint16Array(n));
    case 'uint32':
      return fillIntegers(input, kind, values, new Uint32Array(n));
  }
}

/**
 * A tensor's elements as JSON values, row-major: numbers (int64/uint64 through `Number()`,
 * exact up to 2^53; float16 widened from its bits), booleans for bool, strings for string.
 */
export function toJsonElements(tensor: Tensor): JsonElement[] {
  const { type, data } = tensor;
  if (Array.isArray(data)) return data.slice();
  const n = data.length;
  const out: JsonElement[] = new Array(n);
  if (type === 'bool') for (let i = 0; i < n; i++) out[i] = data[i] !== 0;
  else if (type === 'float16') for (let i = 0; i < n; i++) out[i] = halfToFloat(data[i] as number);
  else if (type === 'int64' || type === 'uint64') for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  else for (let i = 0; i < n; i++) out[i] = data[i] as number;
  return out;
}

/** The number of elements a shape holds (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2, 3]` as written in messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function fillNumbers<T extends Float64Array>(input: string, kind: ElementKind, values: readonly unknown[], out: T): T {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw wrongKind(input, kind, i, v);
    out[i] = v;
  }
  return out;
}

function fillIntegers<T extends Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array>(
  input: string,
  kind: ElementKind,
  values: readonly unknown[],
  out: T,
): T {
  for (let i = 0; i < values.length; i++) out[i] = checkedInteger(input, kind, i, values[i]);
  return out;
}

function checkedInteger(input: string, kind: ElementKind, i: number, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongKind(input, kind, i, v);
  if (v < kind.min! || v > kind.max!) {
    throw invalid(`input "${input}": element ${i} is ${v}, out of range for ${kind.datatype} (${RANGE_64[kind.datatype] ?? `${kind.min} to ${kind.max}`})`);
  }
  return v;
}

/** The 64-bit limits are not doubles: say them exactly. */
const RANGE_64: Record<string, string> = { INT64: '-2^63 to 2^63 - 1', UINT64: '0 to 2^64 - 1' };

const EXPECTED: Record<ElementKind['json'], string> = {
  number: 'numbers',
  integer: 'integers (JSON numbers without a fraction)',
  boolean: 'true or false',
  string: 'strings',
};

function wrongKind(input: string, kind: ElementKind, i: number, v: unknown): InputError {
  return invalid(`input "${input}": element ${i} is ${describe(v)}; ${kind.datatype} takes ${EXPECTED[kind.json]}`);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function invalid(message: string): InputError {
  return new InputError('FALAJ_INFERENCE_INPUT_INVALID', message);
}
