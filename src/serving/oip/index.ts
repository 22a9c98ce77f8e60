/**
 * The Open Inference Protocol (KServe V2 / Triton) REST codec: request bodies to ONNX
 * Runtime feeds and model outputs to response bodies, JSON and Triton's binary tensor data
 * extension, plus the metadata bodies. Pure functions; the routes live elsewhere.
 */
export * from './oip.schema.js';
export { OIP_DATATYPES, type OipDatatype, type ElementKind, elementKindOf, elementKindOfType, oipDatatypeOf } from './datatypes.js';
export { floatToHalf, halfToFloat } from './half-float.js';
export { decodeInferRequest, type DecodedInferRequest, type RequestedOutput } from './infer-request.js';
export {
  encodeInferResponse,
  serializeInferResponse,
  needsBinaryResponse,
  type InferResponseSource,
  type NonFiniteStyle,
  type SerializeOptions,
} from './infer-response.js';
export { decodeBinaryInferRequest, encodeBinaryInferResponse, INFERENCE_HEADER_CONTENT_LENGTH } from './binary-infer.js';
export { modelMetadata, serverMetadata, tensorSpecsFrom, ONNX_PLATFORM, OIP_EXTENSIONS } from './model-metadata.js';
export { toJsonElements, type JsonElement } from './tensor-data.js';
