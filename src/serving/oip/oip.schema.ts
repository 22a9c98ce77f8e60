import { type Static, Type } from '@sinclair/typebox';
import { OIP_DATATYPES } from './datatypes.js';

/**
 * TypeBox schemas of the Open Inference Protocol's REST bodies (KServe "Predict Protocol,
 * version 2", which Triton implements), with the fields of Triton's binary tensor data
 * extension. Objects are closed (`additionalProperties: false`) except `parameters`,
 * which the spec leaves open to any key. Tensor `data` is deliberately loose: the codec
 * checks it against the declared shape and datatype with messages that name the input.
 */

/** `$parameters`: any keys, each a string, number or boolean (spec: "Parameters"). */
export const OipParameters = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
  description: 'key/value parameters; Falaj reads binary_data_size, binary_data and binary_data_output (Triton binary tensor data extension)',
});

export const OipDatatypeSchema = Type.Union(
  OIP_DATATYPES.map((d) => Type.Literal(d)),
  { description: 'element type: BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES (BF16 is listed but not accepted)' },
);

/** `$tensor_data`: a flat row-major array, or arrays nested to the tensor's shape. */
export const OipTensorData = Type.Array(Type.Unknown(), {
  description: 'row-major elements, flat or nested to the shape: numbers, booleans (BOOL) or strings (BYTES)',
});

const Shape = Type.Array(Type.Integer({ minimum: 0 }), { description: 'the whole batch\'s shape' });

/** `$request_input`. `data` is absent when the tensor comes as binary data after the JSON. */
export const OipRequestInput = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    shape: Shape,
    datatype: OipDatatypeSchema,
    parameters: Type.Optional(OipParameters),
    data: Type.Optional(OipTensorData),
  },
  { additionalProperties: false },
);

/** `$request_output`: an output to return (parameters.binary_data: true returns it as binary). */
export const OipRequestOutput = Type.Object(
  { name: Type.String({ minLength: 1 }), parameters: Type.Optional(OipParameters) },
  { additionalProperties: false },
);

/** `$inference_request`. */
export const OipInferRequest = Type.Object(
  {
    id: Type.Optional(Type.String()),
    // Not in the spec, but Triton's own examples send them; accepted and ignored (the URL names the model).
    model_name: Type.Optional(Type.String()),
    model_version: Type.Optional(Type.String()),
    parameters: Type.Optional(OipParameters),
    inputs: Type.Array(OipRequestInput, { minItems: 1 }),
    outputs: Type.Optional(Type.Array(OipRequestOutput)),
  },
  { additionalProperties: false },
);

/** `$response_output`. `data` is absent when the output follows as binary data. */
export const OipResponseOutput = Type.Object(
  {
    name: Type.String(),
    shape: Shape,
    datatype: Type.String(),
    parameters: Type.Optional(OipParameters),
    data: Type.Optional(OipTensorData),
  },
  { additionalProperties: false },
);

/** `$inference_response`. */
export const OipInferResponse = Type.Object(
  {
    model_name: Type.String(),
    model_version: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    parameters: Type.Optional(OipParameters),
    outputs: Type.Array(OipResponseOutput),
  },
  { additionalProperties: false },
);

/** `$metadata_tensor`: shape uses -1 for a dimension of any size. */
export const OipMetadataTensor = Type.Object(
  { name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer({ minimum: -1 })) },
  { additionalProperties: false },
);

/** `$metadata_model_response`. */
export const OipModelMetadata = Type.Object(
  {
    name: Type.String(),
    versions: Type.Optional(Type.Array(Type.String())),
    platform: Type.String(),
    inputs: Type.Array(OipMetadataTensor),
    outputs: Type.Array(OipMetadataTensor),
  },
  { additionalProperties: false },
);

/** `$metadata_server_response`. */
export const OipServerMetadata = Type.Object(
  { name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) },
  { additionalProperties: false },
);

/** The error body of every OIP endpoint (`$inference_error_response` and the metadata ones). */
export const OipError = Type.Object({ error: Type.String() }, { additionalProperties: false });

export type OipParametersValue = Static<typeof OipParameters>;
export type InferRequest = Static<typeof OipInferRequest>;
export type InferRequestInput = Static<typeof OipRequestInput>;
export type InferRequestOutput = Static<typeof OipRequestOutput>;
export type InferResponse = Static<typeof OipInferResponse>;
export type InferResponseOutput = Static<typeof OipResponseOutput>;
export type ModelMetadata = Static<typeof OipModelMetadata>;
export type MetadataTensor = Static<typeof OipMetadataTensor>;
export type ServerMetadata = Static<typeof OipServerMetadata>;
export type OipErrorBody = Static<typeof OipError>;
