/**
 * The tracking domain as its users see it, modelled on MLflow's entities (Experiment,
 * RunInfo, RunData, Metric, Param, RunTag, DatasetInput) in camelCase, so that the MLflow
 * REST layer is a renaming of fields, not a second model.
 */

export const LIFECYCLE_STAGES = ['active', 'deleted'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Which runs or experiments a search sees, as MLflow's `ViewType`. */
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export interface Experiment {
  /** `exp_…` */
  id: string;
  /** MLflow's experiment id: a string of digits, unique within the project */
  mlflowId: string;
  project: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** One metric point. `value` may be NaN or ±Infinity (sent as strings over JSON). */
export interface Metric {
  key: string;
  value: number;
  /** epoch milliseconds */
  timestamp: number;
  step: number;
}

export interface Param {
  key: string;
  value: string;
}

export interface Tag {
  key: string;
  value: string;
}

export interface RunInfo {
  /** 32 lower-case hex digits (MLflow's `run_uuid`) */
  id: string;
  experimentId: string;
  project: string;
  name: string;
  status: RunStatus;
  /** epoch milliseconds */
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  /** MLflow's `user_id` */
  user: string;
  /** where the run's artifacts live: `mlflow-artifacts:/<experiment mlflow id>/<run id>/artifacts` */
  artifactUri: string;
}

export interface RunData {
  params: Record<string, string>;
  tags: Record<string, string>;
  /** the latest point of each metric (greatest step, then timestamp, then value) */
  metrics: Record<string, Omit<Metric, 'key'>>;
}

/** A dataset a run read, as MLflow's DatasetInput (dataset + input tags). */
export interface DatasetInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string | undefined;
  profile?: string | undefined;
  /** input tags; `mlflow.data.context` (training, evaluation, …) is the usual one */
  tags?: Record<string, string> | undefined;
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: DatasetInput[];
}

export interface LogBatch {
  metrics?: Metric[] | undefined;
  params?: Param[] | undefined;
  tags?: Tag[] | undefined;
}

export interface Page<T> {
  items: T[];
  /** absent on the last page */
  nextPageToken?: string | undefined;
}

export interface RunSearch {
  /** our experiment ids (`exp_…`); none = every experiment of the project */
  experimentIds?: string[] | undefined;
  /** MLflow filter language plus `or` and parentheses */
  filter?: string | undefined;
  /** e.g. `metrics.auc DESC`, `attributes.start_time`, ``params.`learning rate` ASC`` */
  orderBy?: string[] | undefined;
  maxResults?: number | undefined;
  pageToken?: string | undefined;
  viewType?: ViewType | undefined;
}

export interface ExperimentSearch {
  filter?: string | undefined;
  orderBy?: string[] | undefined;
  maxResults?: number | undefined;
  pageToken?: string | undefined;
  viewType?: ViewType | undefined;
}

/** The tag MLflow keeps the run name in (kept in step with the run's name). */
export const RUN_NAME_TAG = 'mlflow.runName';
/** The tag MLflow keeps the source code version in. */
export const SOURCE_VERSION_TAG = 'mlflow.source.git.commit';
/** The input tag naming what a dataset was used for. */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';
