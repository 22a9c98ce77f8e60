import { fromMetricRow } from './latest-metric.js';
import type { RunRows } from './run.repository.js';
import type { ExperimentTable, RunInputTable, RunTable } from './tracking.table.js';
import type { DatasetInput, Experiment, LifecycleStage, Run, RunData, RunInfo, RunStatus } from './tracking.types.js';

export function toExperiment(row: ExperimentTable, tags: Record<string, string>): Experiment {
  return {
    id: row.id,
    mlflowId: String(row.mlflow_id),
    project: row.project,
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    tags,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

export function toRunInfo(row: RunTable): RunInfo {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    project: row.project,
    name: row.name,
    status: row.status as RunStatus,
    startTime: Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    user: row.user_id,
    artifactUri: row.artifact_uri,
  };
}

function toDatasetInput(row: RunInputTable): DatasetInput {
  return {
    name: row.name,
    digest: row.digest,
    sourceType: row.source_type,
    source: row.source,
    ...(row.schema !== null ? { schema: row.schema } : {}),
    ...(row.profile !== null ? { profile: row.profile } : {}),
    tags: JSON.parse(row.tags) as Record<string, string>,
  };
}

/** Whole runs (info, data, inputs) from their rows and those of their children, in `runs` order. */
export function assembleRuns(runs: RunTable[], rows: RunRows): Run[] {
  const byId = new Map<string, Run>();
  const result = runs.map((row) => {
    const run: Run = { info: toRunInfo(row), data: { params: {}, tags: {}, metrics: {} } satisfies RunData, inputs: [] };
    byId.set(row.id, run);
    return run;
  });
  for (const p of rows.params) byId.get(p.run_id)!.data.params[p.key] = p.value;
  for (const t of rows.tags) byId.get(t.run_id)!.data.tags[t.key] = t.value;
  for (const m of rows.metrics) byId.get(m.run_id)!.data.metrics[m.key] = fromMetricRow(m);
  for (const i of rows.inputs) byId.get(i.run_id)!.inputs.push(toDatasetInput(i));
  return result;
}
