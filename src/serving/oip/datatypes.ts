import type { TensorType } from '../runtime/index.js';

/** Tensor element types of the Open Inference Protocol ("Tensor Data Types" in the spec). */
export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16'] as const;

export type OipDatatype = (typeof OIP_DATATYPES)[number];

/** How one element type is carried: OIP name, ORT name, bytes per element on the wire, JSON range. */
export interface ElementKind {
  datatype: OipDatatype;
  type: TensorType;
  /** bytes per element in the binary tensor format; 0 for BYTES (each element is length-prefixed) */
  bytes: number;
  /** what a JSON element must be */
  json: 'number' | 'integer' | 'boolean' | 'string';
  /** inclusive range of an integer type (as doubles; JSON numbers are doubles) */
  min?: number;
  max?: number;
}

const KINDS: readonly ElementKind[] = [
  { datatype: 'BOOL', type: 'bool', bytes: 1, json: 'boolean' },
  { datatype: 'UINT8', type: 'uint8', bytes: 1, json: 'integer', min: 0, max: 0xff },
  { datatype: 'UINT16', type: 'uint16', bytes: 2, json: 'integer', min: 0, max: 0xffff },
  { datatype: 'UINT32', type: 'uint32', bytes: 4, json: 'integer', min: 0, max: 0xffff_ffff },
  // 2^64 - 1 is not a double; the largest double below 2^64 is the real limit
  { datatype: 'UINT64', type: 'uint64', bytes: 8, json: 'integer', min: 0, max: 18_446_744_073_709_549_568 },
  { datatype: 'INT8', type: 'int8', bytes: 1, json: 'integer', min: -0x80, max: 0x7f },
  { datatype: 'INT16', type: 'int16', bytes: 2, json: 'integer', min: -0x8000, max: 0x7fff },
  { datatype: 'INT32', type: 'int32', bytes: 4, json: 'integer', min: -0x8000_0000, max: 0x7fff_ffff },
  // likewise 2^63 - 1: the largest double below 2^63
  { datatype: 'INT64', type: 'int64', bytes: 8, json: 'integer', min: -9_223_372_036_854_775_808, max: 9_223_372_036_854_774_784 },
  { datatype: 'FP16', type: 'float16', bytes: 2, json: 'number' },
  { datatype: 'FP32', type: 'float32', bytes: 4, json: 'number' },
  { datatype: 'FP64', type: 'float64', bytes: 8, json: 'number' },
  { datatype: 'BYTES', type: 'string', bytes: 0, json: 'string' },
];

const BY_DATATYPE = new Map<string, ElementKind>(KINDS.map((k) => [k.datatype, k]));
const BY_TYPE = new Map<string, ElementKind>(KINDS.map((k) => [k.type, k]));

/** OIP names for ONNX element types Falaj cannot feed through ORT's Node binding (shown in metadata only). */
const METADATA_ONLY: Record<string, string> = { bfloat16: 'BF16' };

/**
 * The element kind of an OIP datatype (`FP32`), or undefined when Falaj cannot carry it.
 * @example elementKindOf('FP32')?.type; // 'float32'
 */
export function elementKindOf(datatype: string): ElementKind | undefined {
  return BY_DATATYPE.get(datatype);
}

/**
 * The element kind of an ONNX Runtime type name (`float32`), or undefined when OIP
 * cannot carry it.
 */
export function elementKindOfType(type: string): ElementKind | undefined {
  return BY_TYPE.get(type);
}

/**
 * The OIP datatype name for an ONNX Runtime type name, for metadata: `float32` → `FP32`,
 * `string` → `BYTES`. A type OIP has no name for is shown upper-cased, so metadata still
 * tells the user what the model declares.
 */
export function oipDatatypeOf(type: string): string {
  return BY_TYPE.get(type)?.datatype ?? METADATA_ONLY[type] ?? type.toUpperCase();
}
