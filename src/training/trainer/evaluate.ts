import { accuracy, logisticLoss, regressionMetrics, rocAuc, sigmoid } from './metrics.js';
import type { DenseNetwork } from './network.js';
import { predict, type TabularModel } from './tabular-model.js';
import type { TabularDataset } from './training-data.js';

/** Rows scored per forward call when evaluating (more than a training batch: no gradients are kept). */
export const EVAL_BATCH = 4096;

/** Network outputs for the given rows: logits (binary) or predictions in label units (regression). */
export function score(network: DenseNetwork, params: Float64Array, xs: Float32Array, rows: Uint32Array, target: { mean: number; std: number } | undefined): Float64Array {
  const out = new Float64Array(rows.length);
  for (let start = 0; start < rows.length; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, rows.length - start);
    const batch = network.forward(params, xs, rows, start, count);
    for (let r = 0; r < count; r++) out[start + r] = target ? batch[r]! * target.std + target.mean : batch[r]!;
  }
  return out;
}

/** Per-epoch validation metrics from network outputs (float64): `val_loss` is what early stopping watches. */
export function validationMetrics(scored: Float64Array, y: Float64Array, rows: Uint32Array, regression: boolean): Record<string, number> {
  const labels = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) labels[i] = y[rows[i]!]!;
  if (regression) {
    const m = regressionMetrics(scored, labels);
    return { val_loss: m.mse, val_rmse: m.rmse, val_mae: m.mae, val_r2: m.r2 };
  }
  let loss = 0;
  const probabilities = new Float64Array(scored.length);
  for (let i = 0; i < scored.length; i++) {
    loss += logisticLoss(scored[i]!, labels[i]!);
    probabilities[i] = sigmoid(scored[i]!);
  }
  loss /= scored.length;
  // the AUC ranks logits: the same order as probabilities, without ties made by rounding
  return { val_loss: loss, val_logloss: loss, val_auc: rocAuc(scored, labels), val_accuracy: accuracy(probabilities, labels) };
}

/** The metrics of the model as exported (float32), on the validation rows. */
export function exportedModelMetrics(model: TabularModel, data: TabularDataset, rows: Uint32Array): Record<string, number> {
  const width = data.featureNames.length;
  const x = new Float64Array(rows.length * width);
  const labels = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    x.set(data.x.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
    labels[i] = data.y[rows[i]!]!;
  }
  const predictions = predict(model, x);
  if (model.task === 'regression') {
    const m = regressionMetrics(predictions, labels);
    return { val_rmse: m.rmse, val_mae: m.mae, val_r2: m.r2 };
  }
  let loss = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, predictions[i]!));
    loss -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return { val_auc: rocAuc(predictions, labels), val_logloss: loss / predictions.length, val_accuracy: accuracy(predictions, labels) };
}
