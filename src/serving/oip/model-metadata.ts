import type { OnnxValueSpec } from '../../registry/index.js';
import type { TensorSpec } from '../contracts.js';
import { oipDatatypeOf } from './datatypes.js';
import type { ModelMetadata, ServerMetadata } from './oip.schema.js';

/** Triton's platform name for ONNX Runtime models. */
export const ONNX_PLATFORM = 'onnxruntime_onnx';

/** The OIP extensions Falaj's endpoint implements (Triton's names). */
export const OIP_EXTENSIONS = ['binary_tensor_data'] as const;

/**
 * A model's OIP metadata (`GET v2/models/{name}[/versions/{v}]`): datatypes by their OIP
 * names, any-size dimensions as -1.
 *
 * @example
 * modelMetadata('churn', [1, 2], inputs, outputs);
 * // { name: 'churn', versions: ['1', '2'], platform: 'onnxruntime_onnx', inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }], … }
 */
export function modelMetadata(
  name: string,
  versions: readonly (string | number)[] | undefined,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
): ModelMetadata {
  const metadata: ModelMetadata = { name, platform: ONNX_PLATFORM, inputs: inputs.map(metadataTensor), outputs: outputs.map(metadataTensor) };
  if (versions !== undefined) metadata.versions = versions.map(String);
  return metadata;
}

/**
 * The server's OIP metadata (`GET v2`).
 */
export function serverMetadata(name: string, version: string): ServerMetadata {
  return { name, version, extensions: [...OIP_EXTENSIONS] };
}

/**
 * The registry's reading of an ONNX model's inputs or outputs (`OnnxSignature.inputs` /
 * `.outputs`) as the serving domain's TensorSpecs: element type names carry over
 * (`float32`, `int64`, …); a symbolic (`N`) or unknown dimension becomes -1. A value whose
 * rank is not declared becomes `[-1]`: a TensorSpec cannot say "any rank", so such an
 * input takes 1-D tensors only.
 *
 * @example
 * const sig = await readOnnxSignature(bytes);
 * const inputs = tensorSpecsFrom(sig.inputs); // [{ name: 'features', type: 'float32', shape: [-1, 4] }]
 */
export function tensorSpecsFrom(values: readonly OnnxValueSpec[]): TensorSpec[] {
  return values.map((v) => ({
    name: v.name,
    // a sequence or map has no element type: keep its kind, which no datatype matches
    type: v.elemType ?? v.kind,
    shape: v.shape === null ? [-1] : v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  }));
}

function metadataTensor(spec: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: spec.name, datatype: oipDatatypeOf(spec.type), shape: spec.shape.map((d) => (d >= 0 ? d : -1)) };
}
