import { InputError } from '../../core/errors/index.js';
import type { TensorSpec } from '../contracts.js';
import type { Tensor, TensorArray } from '../runtime/index.js';
import { type ElementKind, elementKindOfType } from './datatypes.js';
import type { InferRequest, InferRequestInput, OipParametersValue } from './oip.schema.js';
import { elementCount, flattenTensorData, fmtShape, toTensorData } from './tensor-data.js';

/** An output the client asked for, and whether it wants it as binary tensor data. */
export interface RequestedOutput {
  name: string;
  binary: boolean;
}

/** An OIP inference request turned into ONNX Runtime feeds. */
export interface DecodedInferRequest {
  /** the request's `id`, to be echoed in the response */
  id?: string;
  feeds: Record<string, Tensor>;
  /** the outputs asked for, in order; absent means every output, as JSON */
  outputs?: RequestedOutput[];
  /** dimension 0 of the first input: the batch size */
  rows: number;
}

/**
 * Reads the binary data of an input sent with `parameters.binary_data_size` (the binary
 * extension supplies one; a plain JSON request has none).
 */
export type BinaryInputReader = (input: InferRequestInput, kind: ElementKind, count: number, size: string | number | boolean) => TensorArray | string[];

/**
 * Turns an OIP inference request body (already valid against `OipInferRequest`, as the
 * route's schema makes it) into feeds for the model, checking every input against the
 * model's signature. Pass the model's outputs too, so that requested output names are
 * checked and Triton's request-wide `binary_data_output` can be applied to all of them.
 *
 * @throws InputError `FALAJ_INFERENCE_INPUT_INVALID`, its message naming the input and what to fix
 * @example
 * const { feeds, outputs, rows } = decodeInferRequest(request.body, model.inputs, model.outputs);
 */
export function decodeInferRequest(body: InferRequest, modelInputs: readonly TensorSpec[], modelOutputs?: readonly TensorSpec[]): DecodedInferRequest {
  return decodeRequest(body, modelInputs, modelOutputs, undefined);
}

/** The decoding shared by JSON and binary requests; `readBinary` is absent for plain JSON. */
export function decodeRequest(
  body: InferRequest,
  modelInputs: readonly TensorSpec[],
  modelOutputs: readonly TensorSpec[] | undefined,
  readBinary: BinaryInputReader | undefined,
): DecodedInferRequest {
  const feeds: Record<string, Tensor> = {};
  for (const input of body.inputs) {
    const spec = modelInputs.find((s) => s.name === input.name);
    if (!spec) throw invalid(`the model has no input "${input.name}"; its inputs are ${names(modelInputs)}`);
    if (Object.hasOwn(feeds, input.name)) throw invalid(`input "${input.name}" is given more than once`);
    feeds[input.name] = decodeInput(input, spec, readBinary);
  }
  for (const spec of modelInputs) {
    if (!Object.hasOwn(feeds, spec.name)) throw invalid(`the model needs input "${spec.name}" (${describeSpec(spec)}); the request has none`);
  }
  const first = body.inputs[0]!;
  const decoded: DecodedInferRequest = { feeds, rows: first.shape.length === 0 ? 1 : first.shape[0]! };
  if (body.id !== undefined) decoded.id = body.id;
  const outputs = requestedOutputs(body, modelOutputs);
  if (outputs) decoded.outputs = outputs;
  return decoded;
}

function decodeInput(input: InferRequestInput, spec: TensorSpec, readBinary: BinaryInputReader | undefined): Tensor {
  const kind = elementKindOfType(spec.type);
  if (!kind) throw invalid(`input "${input.name}" is ${spec.type} in the model, a type the Open Inference Protocol endpoint cannot feed`);
  if (input.datatype !== kind.datatype) throw invalid(`input "${input.name}" is ${kind.datatype} in the model; the request says ${input.datatype}`);
  const shape = input.shape;
  if (shape.length !== spec.shape.length) {
    throw invalid(`input "${input.name}" has rank ${spec.shape.length} in the model (${describeSpec(spec)}); the request's shape ${fmtShape(shape)} has rank ${shape.length}`);
  }
  for (let d = 0; d < shape.length; d++) {
    const want = spec.shape[d]!;
    if (want >= 0 && shape[d] !== want) {
      throw invalid(`input "${input.name}": dimension ${d} must be ${want} (model shape ${fmtShape(spec.shape)}); the request's shape is ${fmtShape(shape)}`);
    }
  }
  const count = elementCount(shape);
  const binarySize = input.parameters?.binary_data_size;
  let data: TensorArray | string[];
  if (binarySize !== undefined) {
    if (!readBinary) {
      throw invalid(`input "${input.name}" declares binary_data_size, but the body is plain JSON: send it as application/octet-stream with an Inference-Header-Content-Length header`);
    }
    if (input.data !== undefined) throw invalid(`input "${input.name}" has both data and binary_data_size; send one`);
    data = readBinary(input, kind, count, binarySize);
  } else {
    if (input.data === undefined) throw invalid(`input "${input.name}" has no data`);
    data = toTensorData(input.name, kind, flattenTensorData(input.name, input.data, shape, count));
  }
  return { type: kind.type, data, dims: shape.slice() };
}

/**
 * The outputs to return. Triton binary extension: `binary_data` on an output overrides the
 * request-wide `binary_data_output`.
 */
function requestedOutputs(body: InferRequest, modelOutputs: readonly TensorSpec[] | undefined): RequestedOutput[] | undefined {
  const binaryByDefault = flag(body.parameters, 'binary_data_output', 'the request');
  if (!body.outputs) {
    if (!binaryByDefault || !modelOutputs) return undefined;
    return modelOutputs.map((o) => ({ name: o.name, binary: true }));
  }
  const seen = new Set<string>();
  return body.outputs.map((o) => {
    if (modelOutputs && !modelOutputs.some((s) => s.name === o.name)) {
      throw invalid(`the model has no output "${o.name}"; its outputs are ${names(modelOutputs)}`);
    }
    if (seen.has(o.name)) throw invalid(`output "${o.name}" is requested more than once`);
    seen.add(o.name);
    return { name: o.name, binary: flag(o.parameters, 'binary_data', `output "${o.name}"`) ?? binaryByDefault ?? false };
  });
}

function flag(parameters: OipParametersValue | undefined, key: string, where: string): boolean | undefined {
  const v = parameters?.[key];
  if (v === undefined || typeof v === 'boolean') return v;
  throw invalid(`${where}: parameter ${key} must be true or false, not ${JSON.stringify(v)}`);
}

function describeSpec(spec: TensorSpec): string {
  return `${elementKindOfType(spec.type)?.datatype ?? spec.type} ${fmtShape(spec.shape)}`;
}

function names(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `"${s.name}"`).join(', ') || 'none';
}

function invalid(message: string): InputError {
  return new InputError('FALAJ_INFERENCE_INPUT_INVALID', message);
}
