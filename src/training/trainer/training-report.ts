import type { TrainingState } from './checkpoint.js';
import type { ResolvedTrainerSpec } from './spec.js';
import type { DataSplit } from './split.js';
import type { TabularDataset } from './training-data.js';

/** The params logged to tracking: every spec field (defaults filled in), the feature list and row counts. */
export function paramsOf(spec: ResolvedTrainerSpec, data: TabularDataset, split: DataSplit, parameterCount: number): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {
    type: spec.type,
    task: spec.task,
    label: spec.label,
    model: spec.model,
    hidden: spec.model === 'mlp' ? spec.hidden.join(',') : 'none',
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    l2: spec.l2,
    patience: spec.patience,
    validationFraction: spec.validationFraction,
    seed: spec.seed,
    maxRows: spec.maxRows ?? 'none',
    // tracking params are at most 6,000 characters; the ONNX metadata has the full list
    features: truncate(data.featureNames.join(','), 6_000),
    exclude: truncate(spec.exclude.join(',') || 'none', 6_000),
    feature_count: data.featureNames.length,
    parameter_count: parameterCount,
    rows_labelled: data.labelledRows,
    rows_train: split.train.length,
    rows_validation: split.validation.length,
    rows_dropped_null_label: data.droppedNullLabels,
    split_method: split.method,
  };
  if (split.validationFrom !== undefined && Number.isFinite(split.validationFrom)) params.validation_from = new Date(split.validationFrom).toISOString();
  return params;
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

export function splitInfo(split: DataSplit): Pick<DataSplit, 'method' | 'validationFrom'> {
  return { method: split.method, validationFrom: split.validationFrom };
}

export function progressLine(epoch: number, epochs: number, metrics: Record<string, number>, state: TrainingState, ms: number): string {
  const tail = state.stopReason === 'early-stopping' ? ', stopping early' : '';
  return `epoch ${epoch}/${epochs} ${formatMetrics(metrics)} best=${state.bestEpoch}${tail} (${(ms / 1000).toFixed(1)}s)`;
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number.isFinite(v) ? Number(v.toPrecision(5)) : v}`)
    .join(' ');
}
