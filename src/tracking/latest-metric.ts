import type { RunMetricTable } from './tracking.table.js';
import type { Metric } from './tracking.types.js';

/** A metric point as stored: NaN becomes value 0 with `is_nan` 1, as in MLflow's SQL store. */
export function toMetricRow(runId: string, m: Metric): RunMetricTable {
  const nan = Number.isNaN(m.value);
  return { run_id: runId, key: m.key, value: nan ? 0 : m.value, is_nan: nan ? 1 : 0, step: m.step, timestamp: m.timestamp };
}

export function fromMetricRow(row: Pick<RunMetricTable, 'value' | 'is_nan' | 'step' | 'timestamp'>): Omit<Metric, 'key'> {
  return { value: row.is_nan ? Number.NaN : Number(row.value), step: Number(row.step), timestamp: Number(row.timestamp) };
}

/**
 * MLflow's "latest" rule: a point replaces the latest one when its step is greater, or
 * the step is equal and its timestamp greater, or both are equal and its (stored) value
 * greater. The same comparison is written in SQL by the upsert that maintains
 * `latest_metrics` (see metric.repository.ts); keep them in step.
 */
export function isAfter(a: Pick<RunMetricTable, 'value' | 'step' | 'timestamp'>, b: Pick<RunMetricTable, 'value' | 'step' | 'timestamp'>): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

/** The latest point per key of a batch (one upsert row per key). */
export function latestPerKey(rows: readonly RunMetricTable[]): RunMetricTable[] {
  const latest = new Map<string, RunMetricTable>();
  for (const row of rows) {
    const current = latest.get(row.key);
    if (!current || isAfter(row, current)) latest.set(row.key, row);
  }
  return [...latest.values()];
}
