import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportOnnx } from './onnx-export.js';
import { parseTrainerSpec } from './spec.js';
import { trainTabularModel, type TrainOptions, type TrainResult } from './train-model.js';
import { loadTrainingData } from './training-data.js';

export interface RunTabularTrainerOptions extends TrainOptions {
  /** the Parquet training set */
  dataPath: string;
  /** the trainer spec: an object or its JSON text, validated here */
  spec: unknown;
  /** where `model.onnx` and `metrics.json` are written (created when missing) */
  outputDir: string;
}

export interface RunTabularTrainerResult extends TrainResult {
  /** written when training completed */
  modelPath?: string | undefined;
  metricsPath?: string | undefined;
}

export const MODEL_FILE = 'model.onnx';
export const METRICS_FILE = 'metrics.json';

/**
 * The built-in tabular trainer as a library call, with no environment and no server:
 * validates the spec, reads the training set, trains (resuming from `checkpointDir` when
 * it holds this job's checkpoint), and writes `model.onnx` and `metrics.json` to
 * `outputDir`. `runTrainerFromEnv` wraps it for training jobs.
 *
 * @throws InputError `FALAJ_VALIDATION_FAILED` for a bad spec
 * @throws UnprocessableError `FALAJ_TRAINING_SET_INVALID` for data it cannot train on
 * @example
 * const result = await runTabularTrainer({
 *   dataPath: 'train.parquet', outputDir: 'out', checkpointDir: 'ckpt',
 *   spec: { type: 'tabular', task: 'binary', label: 'delayed_15m', model: 'mlp' },
 *   print: console.log,
 * });
 * result.validation?.val_auc;
 */
export async function runTabularTrainer(options: RunTabularTrainerOptions): Promise<RunTabularTrainerResult> {
  const spec = parseTrainerSpec(options.spec);
  const print = options.print ?? (() => undefined);
  const data = await loadTrainingData(options.dataPath, spec);
  print(`training set: ${data.rows} rows, ${data.featureNames.length} features${data.droppedNullLabels ? `, ${data.droppedNullLabels} rows without a label dropped` : ''}`);
  const result = await trainTabularModel(data, spec, options);
  if (result.status !== 'completed' || !result.model) return result;

  await mkdir(options.outputDir, { recursive: true });
  const modelPath = join(options.outputDir, MODEL_FILE);
  const metricsPath = join(options.outputDir, METRICS_FILE);
  await writeAtomically(modelPath, exportOnnx(result.model));
  const summary = {
    trainer: 'tabular',
    task: spec.task,
    model: spec.model,
    label: spec.label,
    features: data.featureNames,
    bestEpoch: result.bestEpoch,
    stopReason: result.stopReason,
    validation: result.validation,
    rows: result.rows,
    split: { method: result.split.method, validationFrom: Number.isFinite(result.split.validationFrom) ? new Date(result.split.validationFrom!).toISOString() : null },
    history: result.history,
    spec,
  };
  // NaN (an undefined AUC, R²) becomes null in JSON
  await writeAtomically(metricsPath, `${JSON.stringify(summary, null, 2)}\n`);
  print(`wrote ${modelPath} and ${metricsPath}`);
  return { ...result, modelPath, metricsPath };
}

async function writeAtomically(path: string, content: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
