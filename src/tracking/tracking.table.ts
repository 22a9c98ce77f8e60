declare module '../storage/metadata/db.js' {
  interface Db {
    experiments: ExperimentTable;
    experiment_tags: ExperimentTagTable;
    runs: RunTable;
    run_params: RunParamTable;
    run_tags: RunTagTable;
    run_metrics: RunMetricTable;
    latest_metrics: LatestMetricTable;
    run_inputs: RunInputTable;
  }
}

export interface ExperimentTable {
  /** `exp_…`: our sortable id */
  id: string;
  project: string;
  /** MLflow's experiment id (clients parse it as digits); unique per project, `0` = "Default" */
  mlflow_id: number;
  name: string;
  artifact_location: string;
  /** `active` | `deleted` */
  lifecycle_stage: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface ExperimentTagTable {
  experiment_id: string;
  key: string;
  value: string;
}

export interface RunTable {
  /** 32 lower-case hex digits, as MLflow's `run_uuid` */
  id: string;
  project: string;
  experiment_id: string;
  name: string;
  status: string;
  /** epoch milliseconds */
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  deleted_time: number | null;
  /** MLflow's `user_id`: who the client says ran it */
  user_id: string;
  artifact_uri: string;
  /** the authenticated principal that created it */
  created_by: string;
}

export interface RunParamTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunTagTable {
  run_id: string;
  key: string;
  value: string;
}

/** One point of a metric's history; NaN is stored as value 0 with `is_nan` 1 (as MLflow does). */
export interface RunMetricTable {
  run_id: string;
  key: string;
  value: number;
  is_nan: number;
  step: number;
  /** epoch milliseconds */
  timestamp: number;
}

export type LatestMetricTable = RunMetricTable;

export interface RunInputTable {
  run_id: string;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
  /** the `mlflow.data.context` input tag (training, eval, …), kept apart for search */
  context: string | null;
  /** every input tag, JSON object */
  tags: string;
}
