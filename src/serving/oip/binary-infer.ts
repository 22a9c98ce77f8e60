import { TypeCompiler } from '@sinclair/typebox/compiler';
import { InputError } from '../../core/errors/index.js';
import type { TensorSpec } from '../contracts.js';
import { binaryTensorBytes, readBinaryTensor } from './binary-tensor.js';
import { type DecodedInferRequest, decodeRequest } from './infer-request.js';
import { type InferResponseSource, type SerializeOptions, selectOutputs, writeResponse } from './infer-response.js';
import { type InferRequest, OipInferRequest } from './oip.schema.js';

/** The HTTP header that gives the JSON part's length in a binary request or response. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

// Compiled once: the JSON header of a binary body is parsed here, not by the route's schema.
const checkRequest = TypeCompiler.Compile(OipInferRequest);

/**
 * Decodes a request in Triton's binary tensor data extension: `headerLength` bytes of JSON
 * inference request (the `Inference-Header-Content-Length` header), then the raw bytes of
 * each input that has `parameters.binary_data_size`, in the order of `inputs`. Inputs may
 * mix: some with JSON `data`, some binary. The binary sizes must add up to the rest of the body.
 *
 * @throws InputError `FALAJ_INFERENCE_BINARY_INVALID` when the framing or a tensor's bytes are malformed
 * @throws InputError `FALAJ_INFERENCE_INPUT_INVALID` when the header or a tensor does not fit the model
 * @example
 * const length = Number(request.headers['inference-header-content-length']);
 * const { feeds, outputs } = decodeBinaryInferRequest(request.body as Buffer, length, model.inputs, model.outputs);
 */
export function decodeBinaryInferRequest(
  body: Uint8Array,
  headerLength: number,
  modelInputs: readonly TensorSpec[],
  modelOutputs?: readonly TensorSpec[],
): DecodedInferRequest {
  if (!Number.isSafeInteger(headerLength) || headerLength <= 0 || headerLength > body.length) {
    throw invalid(`Inference-Header-Content-Length is ${headerLength}; it must be the JSON header's length in bytes, between 1 and the body's ${body.length}`);
  }
  const header = parseHeader(body, headerLength);
  let at = headerLength;
  const decoded = decodeRequest(header, modelInputs, modelOutputs, (input, kind, count, size) => {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw invalid(`input "${input.name}": binary_data_size must be a whole number of bytes, not ${JSON.stringify(size)}`);
    }
    if (at + size > body.length) {
      throw invalid(`input "${input.name}": binary_data_size is ${size} bytes, but only ${body.length - at} bytes of binary data are left in the body`);
    }
    const bytes = body.subarray(at, at + size);
    at += size;
    return readBinaryTensor(input.name, kind, input.shape, count, bytes);
  });
  if (at !== body.length) {
    throw invalid(`the body has ${body.length - at} bytes after the last input's binary data; the binary_data_size values must add up to the body after the JSON header`);
  }
  return decoded;
}

/**
 * Encodes a response in the binary tensor data extension: outputs requested with
 * `binary_data: true` carry `parameters.binary_data_size` in the JSON header and their
 * bytes follow it, in output order; the others carry JSON `data`. Send `headerLength` as
 * the `Inference-Header-Content-Length` header and the body as application/octet-stream.
 * With no binary output the body is plain JSON and `headerLength` is its whole length.
 *
 * @example
 * const { body, headerLength } = encodeBinaryInferResponse({ modelName, modelVersion, id, outputs, requested });
 * reply.header(INFERENCE_HEADER_CONTENT_LENGTH, headerLength).type('application/octet-stream').send(body);
 */
export function encodeBinaryInferResponse(source: InferResponseSource, options: SerializeOptions = {}): { body: Buffer; headerLength: number } {
  const outputs = selectOutputs(source);
  const chunks: Uint8Array[] = [];
  const sizes = outputs.map((o) => {
    if (!o.binary) return 0;
    const bytes = binaryTensorBytes(o.tensor);
    chunks.push(bytes);
    return bytes.length;
  });
  // headerLength counts bytes, not UTF-16 units: names and ids may be any Unicode
  const header = Buffer.from(writeResponse(source, outputs, options, sizes), 'utf8');
  return { body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}

function parseHeader(body: Uint8Array, headerLength: number): InferRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, headerLength).toString('utf8'));
  } catch (err) {
    throw invalid(`the first ${headerLength} bytes (Inference-Header-Content-Length) are not a JSON inference request: ${(err as Error).message}`);
  }
  if (!checkRequest.Check(parsed)) {
    const first = checkRequest.Errors(parsed).First();
    const where = first?.path ? `at ${first.path}` : 'at the top level';
    throw new InputError('FALAJ_INFERENCE_INPUT_INVALID', `the inference request header is not valid ${where}: ${first?.message ?? 'does not match the schema'}`);
  }
  return parsed;
}

function invalid(message: string): InputError {
  return new InputError('FALAJ_INFERENCE_BINARY_INVALID', message);
}
