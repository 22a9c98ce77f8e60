import { FalajError, InputError, UnprocessableError } from '../../core/errors/index.js';
import { runTabularTrainer } from './run-trainer.js';
import { parseTrainerSpec } from './spec.js';
import { trackingLog } from './tracking-log.js';
import type { TrainingLog } from './training-log.js';

/** The environment a training job's process gets from the platform. */
export const TRAINER_ENV = {
  data: 'FALAJ_TRAINING_DATA',
  checkpointDir: 'FALAJ_CHECKPOINT_DIR',
  outputDir: 'FALAJ_OUTPUT_DIR',
  trackingUri: 'FALAJ_TRACKING_URI',
  token: 'FALAJ_TOKEN',
  project: 'FALAJ_PROJECT',
  runId: 'FALAJ_RUN_ID',
  spec: 'FALAJ_TRAINER_SPEC',
  /** set instead of `data` where the job cannot read the platform's disk (a pod): the set is downloaded */
  datasetId: 'FALAJ_DATASET_ID',
} as const;

/** Exit codes: 0 done, 1 failed, 2 bad spec, environment or training set (retrying will not help), 143 stopped by SIGTERM. */
export const TRAINER_EXIT = { ok: 0, failed: 1, badInput: 2, terminated: 143 } as const;

export interface TrainerIo {
  /** progress lines (default: stdout, which the platform streams as the job's log) */
  print?: (line: string) => void;
  /** the one-line failure (default: stderr) */
  printError?: (line: string) => void;
  /** stop on SIGTERM between two batches (default true); the last epoch's checkpoint stays */
  handleSigterm?: boolean;
}

/**
 * A training job's entry point (`falaj trainer run`): reads the `FALAJ_*` environment
 * ({@link TRAINER_ENV}), runs the tabular trainer with per-epoch checkpoints in
 * `FALAJ_CHECKPOINT_DIR`, logs params and metrics to the run `FALAJ_RUN_ID` at
 * `FALAJ_TRACKING_URI` (when given), and writes `model.onnx` and `metrics.json` to
 * `FALAJ_OUTPUT_DIR`. Returns the process exit code ({@link TRAINER_EXIT}); never throws.
 */
export async function runTrainerFromEnv(env: NodeJS.ProcessEnv = process.env, io: TrainerIo = {}): Promise<number> {
  const print = io.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const printError = io.printError ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const abort = new AbortController();
  const onSigterm = () => {
    print('SIGTERM: stopping; the next attempt resumes from the last completed epoch');
    abort.abort(new Error('terminated'));
  };
  if (io.handleSigterm !== false) process.once('SIGTERM', onSigterm);
  let closeTracking = () => undefined as void;
  try {
    const required = (name: string) => {
      const value = env[name];
      if (!value) throw new InputError('FALAJ_VALIDATION_FAILED', `${name} is not set: the platform sets it for training jobs`);
      return value;
    };
    const outputDir = required(TRAINER_ENV.outputDir);
    const dataPath = env[TRAINER_ENV.data] || (env[TRAINER_ENV.datasetId] ? await downloadDataset(env, outputDir, required) : required(TRAINER_ENV.data));
    const checkpointDir = env[TRAINER_ENV.checkpointDir] || undefined;
    const spec = parseTrainerSpec(required(TRAINER_ENV.spec));

    let log: TrainingLog | undefined;
    const uri = env[TRAINER_ENV.trackingUri];
    if (uri) {
      const tracking = await trackingLog({ uri, token: env[TRAINER_ENV.token], project: required(TRAINER_ENV.project), runId: required(TRAINER_ENV.runId) });
      log = tracking.log;
      closeTracking = tracking.close;
    } else {
      print(`${TRAINER_ENV.trackingUri} is not set: params and metrics are not tracked`);
    }
    if (!checkpointDir) print(`${TRAINER_ENV.checkpointDir} is not set: no checkpoints, a restart begins again`);

    const result = await runTabularTrainer({ dataPath, outputDir, checkpointDir, spec, log, print, signal: abort.signal });
    return result.status === 'completed' ? TRAINER_EXIT.ok : TRAINER_EXIT.failed;
  } catch (err) {
    if (abort.signal.aborted) {
      printError('falaj trainer: stopped by SIGTERM');
      return TRAINER_EXIT.terminated;
    }
    printError(`falaj trainer: ${describe(err)}`);
    // a bad spec, a missing column, an unreadable file: another attempt would fail the same way
    return err instanceof InputError || err instanceof UnprocessableError ? TRAINER_EXIT.badInput : TRAINER_EXIT.failed;
  } finally {
    process.removeListener('SIGTERM', onSigterm);
    closeTracking();
  }
}

function describe(err: unknown): string {
  if (err instanceof FalajError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** Fetches the training set by id through the API (`GET …/datasets/{id}/data`) into the output directory's parent. */
async function downloadDataset(env: NodeJS.ProcessEnv, outputDir: string, required: (name: string) => string): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  const { dirname, join } = await import('node:path');
  const { FalajClient } = await import('../../client/index.js');
  const id = required(TRAINER_ENV.datasetId);
  const client = new FalajClient({ baseUrl: required(TRAINER_ENV.trackingUri), token: required(TRAINER_ENV.token) });
  try {
    const dir = join(dirname(outputDir), 'data');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${id}.parquet`);
    await client.datasets.download(required(TRAINER_ENV.project), id, path);
    return path;
  } finally {
    client.close();
  }
}
