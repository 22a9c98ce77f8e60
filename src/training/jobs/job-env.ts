import type { Admission, ExecutorKind } from '../contracts.js';
import type { TrainingJobSpec } from '../definitions/spec.schema.js';
import type { AttemptDirs } from './attempt-files.js';

export interface JobEnvInput {
  spec: TrainingJobSpec;
  jobId: string;
  project: string;
  attempt: number;
  runId: string;
  trackingUri: string;
  token: string;
  dirs: Pick<AttemptDirs, 'checkpointDir' | 'outputDir'>;
  trainingData: string | null;
  /** the training set's id: jobs that cannot read the platform's disk download it (`GET …/datasets/{id}/data`) */
  datasetId?: string | null | undefined;
  admission: Admission;
  executor: ExecutorKind;
}

/** Thread-count variables common numeric libraries read (OpenMP, MKL, OpenBLAS, numexpr, PyTorch). */
const THREAD_VARS = ['OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS', 'VECLIB_MAXIMUM_THREADS', 'TORCH_NUM_THREADS'];

/**
 * The environment of one attempt: the job's own variables, then the platform's (which
 * win): where to log (Falaj's and MLflow's names, so an unmodified MLflow script logs to
 * the job's run), checkpoints, outputs, training data, the GPUs it was given and thread
 * counts matching its CPUs.
 */
export function jobEnvironment(input: JobEnvInput): Record<string, string> {
  const { spec, admission } = input;
  const threads = String(Math.max(1, Math.floor(admission.cpuMilli / 1000)));
  const env: Record<string, string> = { ...(spec.env ?? {}) };
  for (const v of THREAD_VARS) env[v] = threads;
  Object.assign(env, {
    FALAJ_JOB_ID: input.jobId,
    FALAJ_JOB_NAME: spec.name,
    FALAJ_ATTEMPT_NUMBER: String(input.attempt),
    FALAJ_PROJECT: input.project,
    FALAJ_RUN_ID: input.runId,
    FALAJ_TRACKING_URI: input.trackingUri,
    FALAJ_TOKEN: input.token,
    FALAJ_CHECKPOINT_DIR: input.dirs.checkpointDir,
    FALAJ_OUTPUT_DIR: input.dirs.outputDir,
    MLFLOW_TRACKING_URI: input.trackingUri,
    MLFLOW_TRACKING_TOKEN: input.token,
    MLFLOW_RUN_ID: input.runId,
    MLFLOW_EXPERIMENT_NAME: spec.experiment ?? spec.name,
  });
  if (input.trainingData) env.FALAJ_TRAINING_DATA = input.trainingData;
  if (input.datasetId) env.FALAJ_DATASET_ID = input.datasetId;
  if (spec.trainer) env.FALAJ_TRAINER_SPEC = JSON.stringify(spec.trainer);
  if (spec.workingDir) env.FALAJ_WORKING_DIR = spec.workingDir;
  // Locally the GPUs it was given, and none for a CPU job; on Kubernetes the device plugin does this.
  if (input.executor === 'local') env.CUDA_VISIBLE_DEVICES = admission.gpuIndices.join(',');
  return env;
}
