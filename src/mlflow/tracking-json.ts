import type { DatasetInput, Experiment, Metric, Run, RunInfo } from '../tracking/index.js';
import type { DatasetInputJson, ExperimentJson, KeyValue, MetricJson, RunInfoJson, RunJson } from './mlflow-schemas.js';

/**
 * Falaj tracking entities → MLflow's JSON (service.proto, proto3 JSON with proto names).
 * The tracking domain already follows MLflow's model, so this is mostly renaming.
 */

const keyValues = (record: Record<string, string>): KeyValue[] => Object.entries(record).map(([key, value]) => ({ key, value }));
const millis = (iso: string): number => Date.parse(iso);

export function experimentJson(e: Experiment): ExperimentJson {
  return {
    experiment_id: e.mlflowId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: millis(e.updatedAt),
    creation_time: millis(e.createdAt),
    tags: keyValues(e.tags),
  };
}

/** proto3 JSON writes non-finite doubles as strings; `JSON.stringify(NaN)` would say `null`. */
export function metricValueJson(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function metricJson(m: Metric): MetricJson {
  return { key: m.key, value: metricValueJson(m.value), timestamp: m.timestamp, step: m.step };
}

/** `experimentMlflowId`: the run's experiment as the client knows it (digits, not `exp_…`). */
export function runInfoJson(info: RunInfo, experimentMlflowId: string): RunInfoJson {
  return {
    run_id: info.id,
    run_uuid: info.id,
    run_name: info.name,
    experiment_id: experimentMlflowId,
    user_id: info.user,
    status: info.status,
    start_time: info.startTime,
    ...(info.endTime === null ? {} : { end_time: info.endTime }),
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  };
}

export function datasetInputJson(d: DatasetInput): DatasetInputJson {
  return {
    tags: keyValues(d.tags ?? {}),
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      ...(d.schema === undefined ? {} : { schema: d.schema }),
      ...(d.profile === undefined ? {} : { profile: d.profile }),
    },
  };
}

export function runJson(run: Run, experimentMlflowId: string): RunJson {
  return {
    info: runInfoJson(run.info, experimentMlflowId),
    data: {
      metrics: Object.entries(run.data.metrics).map(([key, m]) => metricJson({ key, ...m })),
      params: keyValues(run.data.params),
      tags: keyValues(run.data.tags),
    },
    inputs: { dataset_inputs: run.inputs.map(datasetInputJson) },
  };
}
