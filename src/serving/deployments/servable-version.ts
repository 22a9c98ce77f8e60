import type { ModelVersion } from '../../registry/index.js';

/** The ONNX file a version is served from: `model.onnx` when there is one, else the only `.onnx`. */
export function onnxFileOf(version: Pick<ModelVersion, 'files'>): string | undefined {
  const onnx = version.files.filter((f) => f.name.endsWith('.onnx'));
  return (onnx.find((f) => f.name === 'model.onnx' || f.name.endsWith('/model.onnx')) ?? (onnx.length === 1 ? onnx[0] : undefined))?.name;
}

/** Why a version cannot be served (not ready, unsigned, no ONNX file), or undefined when it can. */
export function isServableVersion(version: ModelVersion): string | undefined {
  const name = `${version.model} v${version.version}`;
  if (version.status !== 'READY') return `${name} is ${version.status}, not READY`;
  if (!version.signature) return `${name} has no signature: only signed versions are served (register it from a run's artifacts)`;
  if (!onnxFileOf(version)) return `${name} has no single ONNX file to serve (files: ${version.files.map((f) => f.name).join(', ') || 'none'})`;
  return undefined;
}
