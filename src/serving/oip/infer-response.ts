import { FalajError } from '../../core/errors/index.js';
import type { Tensor } from '../runtime/index.js';
import { oipDatatypeOf } from './datatypes.js';
import { halfToFloat } from './half-float.js';
import type { RequestedOutput } from './infer-request.js';
import type { InferResponse, InferResponseOutput } from './oip.schema.js';
import { toJsonElements } from './tensor-data.js';

/** What a response is made from: the model's answer and what the request asked for. */
export interface InferResponseSource {
  modelName: string;
  /** the version that answered (OIP carries it as a string) */
  modelVersion?: string | number;
  /** the request's `id`, echoed when it had one */
  id?: string;
  outputs: Record<string, Tensor>;
  /** the outputs asked for, in order (from `decodeInferRequest`); absent means all of them */
  requested?: readonly RequestedOutput[];
}

/**
 * How to write NaN and ±Infinity, which JSON has no numbers for. `literal` writes `NaN`,
 * `Infinity`, `-Infinity` as Triton does (it turned on RapidJSON's kWriteNanAndInfFlag,
 * triton-inference-server/server#3870); Python's json and tritonclient read them, strict
 * JSON parsers (JavaScript's JSON.parse, Go) do not. `null` writes valid JSON instead and
 * loses which of the three it was (tritonclient's `as_numpy` turns null into NaN).
 */
export type NonFiniteStyle = 'literal' | 'null';

export interface SerializeOptions {
  /** default `literal`, as Triton */
  nonFinite?: NonFiniteStyle;
}

/** One output to write: its name, tensor, and whether it goes as binary data. */
export interface SelectedOutput {
  name: string;
  tensor: Tensor;
  binary: boolean;
}

/**
 * The OIP inference response as an object, every output's data a flat row-major JSON
 * array (int64/uint64 through `Number()`, exact up to 2^53; float16 as numbers). Outputs
 * asked for as binary are written as JSON here: use `encodeBinaryInferResponse` for them.
 * A NaN stays a NaN in the object; `JSON.stringify` would write it as null.
 *
 * @example
 * reply.send(encodeInferResponse({ modelName: 'churn', modelVersion: 3, id, outputs, requested }));
 */
export function encodeInferResponse(source: InferResponseSource): InferResponse {
  // keys in the order the spec lists them, as serializeInferResponse writes them
  const response: InferResponse = { model_name: source.modelName } as InferResponse;
  if (source.modelVersion !== undefined) response.model_version = String(source.modelVersion);
  if (source.id !== undefined) response.id = source.id;
  response.outputs = selectOutputs(source).map(
    ({ name, tensor }): InferResponseOutput => ({ name, datatype: oipDatatypeOf(tensor.type), shape: tensor.dims.slice(), data: toJsonElements(tensor) }),
  );
  return response;
}

/**
 * The OIP inference response as JSON text, written from the typed arrays with no response
 * object in between; send it as the body (`application/json`) without a serializer pass.
 * Unlike `JSON.stringify(encodeInferResponse(…))` it writes int64/uint64 with all their
 * digits (exact past 2^53) and NaN/±Infinity as `options.nonFinite` says; it is as fast or
 * faster (about 140 ms for a million FP32 values on one core).
 *
 * @example
 * reply.type('application/json').send(serializeInferResponse({ modelName, modelVersion, id, outputs, requested }));
 */
export function serializeInferResponse(source: InferResponseSource, options: SerializeOptions = {}): string {
  return writeResponse(source, selectOutputs(source).map((o) => ({ ...o, binary: false })), options, undefined);
}

/**
 * The outputs a response carries, in the order asked for (the model's order otherwise).
 *
 * @throws FalajError `FALAJ_INFERENCE_FAILED` when the model did not produce an output that was asked for
 */
export function selectOutputs(source: InferResponseSource): SelectedOutput[] {
  if (!source.requested) return Object.entries(source.outputs).map(([name, tensor]) => ({ name, tensor, binary: false }));
  return source.requested.map(({ name, binary }) => {
    const tensor = source.outputs[name];
    if (!tensor) throw new FalajError('FALAJ_INFERENCE_FAILED', `the model returned no output "${name}"`);
    return { name, tensor, binary };
  });
}

/**
 * Writes the response JSON. Outputs marked binary get `parameters.binary_data_size` from
 * `binarySizes` and no `data` (Triton binary tensor data extension).
 */
export function writeResponse(source: InferResponseSource, outputs: readonly SelectedOutput[], options: SerializeOptions, binarySizes: readonly number[] | undefined): string {
  const nullForNonFinite = options.nonFinite === 'null';
  let json = `{"model_name":${JSON.stringify(source.modelName)}`;
  if (source.modelVersion !== undefined) json += `,"model_version":${JSON.stringify(String(source.modelVersion))}`;
  if (source.id !== undefined) json += `,"id":${JSON.stringify(source.id)}`;
  json += ',"outputs":[';
  outputs.forEach(({ name, tensor, binary }, i) => {
    if (i > 0) json += ',';
    json += `{"name":${JSON.stringify(name)},"datatype":"${oipDatatypeOf(tensor.type)}","shape":[${tensor.dims.join(',')}]`;
    if (binary) json += `,"parameters":{"binary_data_size":${binarySizes![i]}}}`;
    else json += `,"data":${dataText(tensor, nullForNonFinite)}}`;
  });
  return `${json}]}`;
}

/**
 * A tensor's data as a JSON array's text. Measured on V8 (Node 20): `JSON.stringify` of a
 * packed array of numbers beats building the text by concatenation about 2x for large
 * tensors (its number printing skips the heap strings), and `Array.from` of a typed array
 * is one unboxed array, not a boxed number per element; so that is the common path.
 */
function dataText(tensor: Tensor, nullForNonFinite: boolean): string {
  const { type, data } = tensor;
  if (Array.isArray(data)) return JSON.stringify(data);
  if (type === 'bool') return JSON.stringify(Array.from(data as Uint8Array, (b) => b !== 0));
  if (type === 'int64' || type === 'uint64') {
    // every digit of a 64-bit integer, exact past 2^53 (JSON.stringify cannot write a BigInt)
    const parts = new Array<string>(data.length);
    for (let i = 0; i < data.length; i++) parts[i] = String(data[i]);
    return `[${parts.join(',')}]`;
  }
  const values = type === 'float16' ? Array.from(data as Uint16Array, halfToFloat) : Array.from(data as Float32Array);
  if (nullForNonFinite || type.includes('int')) return JSON.stringify(values); // JSON.stringify writes NaN and ±Infinity as null
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `[${values.map((v) => (Number.isFinite(v) ? String(v) : nonFinite(v))).join(',')}]`;
  }
  return JSON.stringify(values);
}

/** Triton's spelling (RapidJSON with kWriteNanAndInfFlag). */
function nonFinite(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

/** Whether any requested output wants binary data, so the reply must use the binary extension. */
export function needsBinaryResponse(requested: readonly RequestedOutput[] | undefined): boolean {
  return requested?.some((o) => o.binary) ?? false;
}
