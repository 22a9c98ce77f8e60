declare module '../../storage/metadata/db.js' {
  interface Db {
    compute_pools: ComputePoolTable;
    training_queues: TrainingQueueTable;
    training_jobs: TrainingJobTable;
    training_attempts: TrainingAttemptTable;
  }
}

export interface ComputePoolTable {
  name: string;
  /** JSON ComputePoolSpec */
  spec: string;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export interface TrainingQueueTable {
  project: string;
  name: string;
  /** JSON QueueSpec */
  spec: string;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface TrainingJobTable {
  id: string;
  project: string;
  name: string;
  queue: string;
  /** JSON TrainingJobSpec as submitted */
  spec: string;
  status: JobStatus;
  priority: number;
  submitted_at: string;
  /** the tracking run every attempt logs to */
  run_id: string;
  /** attempts started */
  attempts: number;
  /** attempts that failed or timed out (they spend the retry budget; preempted and lost do not) */
  failures: number;
  /** a queued job is not admitted before this (retry backoff) */
  next_attempt_at: string | null;
  waiting_reason: string | null;
  last_error: string | null;
  /** accumulated over its attempts */
  cost: number;
  dataset_id: string | null;
  training_data_path: string | null;
  model_name: string | null;
  model_version: number | null;
  cancel_requested: number;
  created_by: string;
  updated_at: string;
  finished_at: string | null;
}

export type AttemptState = 'starting' | 'running' | 'stopping' | 'ended';

export interface TrainingAttemptTable {
  job_id: string;
  attempt: number;
  project: string;
  queue: string;
  pool: string;
  flavor: string;
  node: string;
  executor: string;
  /** pid (local) or Job name (Kubernetes) */
  external_id: string | null;
  token_id: string | null;
  cpu_milli: number;
  memory_mib: number;
  /** JSON number[] */
  gpu_indices: string;
  gpu_milli: number;
  borrowed: number;
  preemptible: number;
  priority: number;
  state: AttemptState;
  /** AttemptOutcome kind */
  outcome: string | null;
  exit_code: number | null;
  message: string | null;
  /** why the platform stopped it: cancelled | preempted | timed-out */
  stop_reason: string | null;
  started_at: string;
  ended_at: string | null;
  cost: number;
}
