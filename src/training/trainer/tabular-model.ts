import type { DenseNetwork } from './network.js';
import { standardizeValue, type Standardizer } from './standardizer.js';

/** One dense layer of a fitted model, in float32 as it is exported. */
export interface DenseLayer {
  inDim: number;
  outDim: number;
  /** `inDim × outDim`, row-major (the ONNX `MatMul` right-hand side) */
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * A fitted model: everything needed to predict, and exactly what goes into the ONNX
 * file. Hidden layers are followed by ReLU; the last layer's output is a logit (binary,
 * then a sigmoid) or a standardised prediction (regression, then `· target.std + target.mean`).
 */
export interface TabularModel {
  task: 'binary' | 'regression';
  label: string;
  featureNames: string[];
  standardizer: Standardizer;
  layers: DenseLayer[];
  /** regression only: the training target's mean and std */
  target?: { mean: number; std: number } | undefined;
}

/** Freezes a network's parameters (float64 in training) into a float32 model. */
export function fittedModel(
  network: DenseNetwork,
  params: Float64Array,
  info: Pick<TabularModel, 'task' | 'label' | 'featureNames' | 'standardizer' | 'target'>,
): TabularModel {
  const layers = network.layers.map(({ inDim, outDim, w, b }) => ({
    inDim,
    outDim,
    weights: Float32Array.from(params.subarray(w, b)),
    bias: Float32Array.from(params.subarray(b, b + outDim)),
  }));
  return { ...info, featureNames: [...info.featureNames], layers };
}

const f32 = Math.fround;

/**
 * Predictions for a row-major matrix of raw feature values (`rows × features`, NaN or
 * null-as-NaN for a missing value): probabilities for binary models, values in the
 * label's units for regression. Computes in float32 at every step the ONNX graph has
 * (impute, subtract, divide, each MatMul and Add, ReLU, Sigmoid / Mul / Add), summing
 * each dot product in float64 before rounding it, so ONNX Runtime's answers agree to
 * float32 precision.
 */
export function predict(model: TabularModel, x: ArrayLike<number>): Float32Array {
  const width = model.featureNames.length;
  const rows = Math.floor(x.length / width);
  if (rows * width !== x.length) throw new RangeError(`predict: ${x.length} values are not a whole number of rows of ${width} features`);
  const { mean, std } = model.standardizer;
  const out = new Float32Array(rows);
  const input = new Float64Array(width);
  const buffers = model.layers.map((layer) => new Float64Array(layer.outDim));
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) input[j] = standardizeValue(x[r * width + j]!, mean[j]!, std[j]!);
    let current = input;
    for (let l = 0; l < model.layers.length; l++) {
      const layer = model.layers[l]!;
      const next = buffers[l]!.fill(0);
      for (let i = 0; i < layer.inDim; i++) {
        const a = current[i]!;
        if (a === 0) continue;
        const row = i * layer.outDim;
        for (let j = 0; j < layer.outDim; j++) next[j] = next[j]! + a * layer.weights[row + j]!;
      }
      const hidden = l + 1 < model.layers.length;
      for (let j = 0; j < layer.outDim; j++) {
        const z = f32(f32(next[j]!) + layer.bias[j]!);
        next[j] = hidden && z < 0 ? 0 : z;
      }
      current = next;
    }
    const z = current[0]!;
    out[r] = model.task === 'binary' ? f32(1 / (1 + Math.exp(-z))) : f32(f32(z * model.target!.std) + model.target!.mean);
  }
  return out;
}
