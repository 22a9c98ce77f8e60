import { adamStep, newAdamState } from './adam.js';
import { loadCheckpoint, saveCheckpoint, trainingFingerprint, type EpochRecord, type TrainingState } from './checkpoint.js';
import { EVAL_BATCH, exportedModelMetrics, score, validationMetrics } from './evaluate.js';
import { logisticLoss, sigmoid } from './metrics.js';
import { DenseNetwork } from './network.js';
import { epochOrder } from './prng.js';
import type { ResolvedTrainerSpec } from './spec.js';
import { splitRows, type DataSplit } from './split.js';
import { fitStandardizer, fitTargetScale, standardizeRows } from './standardizer.js';
import { fittedModel, type TabularModel } from './tabular-model.js';
import type { TabularDataset } from './training-data.js';
import { NO_LOG, type TrainingLog } from './training-log.js';
import { formatMetrics, paramsOf, progressLine, splitInfo } from './training-report.js';

export interface TrainOptions {
  /** where the per-epoch checkpoint lives; without it nothing is saved or resumed */
  checkpointDir?: string | undefined;
  /** params and per-epoch metrics (default: dropped) */
  log?: TrainingLog | undefined;
  /** one progress line per epoch (default: nothing; the job entry point prints to stdout) */
  print?: ((line: string) => void) | undefined;
  /** stops between two batches; the last checkpoint (end of the previous epoch) stays */
  signal?: AbortSignal | undefined;
  /** returns after this many epochs are done and checkpointed, as if killed there (tests, demos) */
  stopAfterEpoch?: number | undefined;
}

export interface TrainResult {
  /** `stopped`: `stopAfterEpoch` was reached before training was over; no model */
  status: 'completed' | 'stopped';
  /** the best epoch's model (completed runs only) */
  model?: TabularModel | undefined;
  history: EpochRecord[];
  /** the epoch whose weights were kept (lowest validation loss); 0 only if no epoch ran */
  bestEpoch: number;
  stopReason: 'epochs' | 'early-stopping' | null;
  /** epochs restored from a checkpoint at start (0 for a fresh run) */
  resumedFromEpoch: number;
  /** validation metrics of the exported (float32) model at its best epoch (completed runs only) */
  validation?: Record<string, number> | undefined;
  rows: { train: number; validation: number; droppedNullLabels: number; labelled: number };
  split: Pick<DataSplit, 'method' | 'validationFrom'>;
}

/** Training batches between two yields to the event loop, so SIGTERM and I/O are served. */
const YIELD_EVERY = 64;

/**
 * Trains a tabular model on data already in memory: standardisation fitted on the
 * training split, mini-batch Adam with L2, early stopping on the validation loss, the
 * best epoch's weights kept. With `checkpointDir` it saves its whole state after every
 * epoch and, when started again on the same spec and data, resumes from it, giving
 * bit-identical results to a run that was never interrupted.
 *
 * @example
 * const result = await trainTabularModel(data, parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'y', model: 'mlp' }));
 * predict(result.model!, rows); // Float32Array of probabilities
 */
export async function trainTabularModel(data: TabularDataset, spec: ResolvedTrainerSpec, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? NO_LOG;
  const print = options.print ?? (() => undefined);
  const width = data.featureNames.length;
  const split = splitRows(data, spec.validationFraction, spec.seed);
  const standardizer = fitStandardizer(data.x, width, split.train);
  const xs = standardizeRows(data.x, width, standardizer);
  const target = spec.task === 'regression' ? fitTargetScale(data.y, split.train) : undefined;
  // the network learns a standardised regression target; losses are reported in label units
  const ys = target ? data.y.map((v) => (v - target.mean) / target.std) : data.y;
  const lossScale = target ? target.std * target.std : 1;
  const sizes = spec.model === 'linear' ? [width, 1] : [width, ...spec.hidden, 1];
  const network = new DenseNetwork(sizes, Math.max(spec.batchSize, EVAL_BATCH));
  const rows = { train: split.train.length, validation: split.validation.length, droppedNullLabels: data.droppedNullLabels, labelled: data.labelledRows };

  log.logParams(paramsOf(spec, data, split, network.parameterCount));

  const fingerprint = trainingFingerprint(spec, { featureNames: data.featureNames, arrays: [data.x, data.y, data.timestamps] });
  const checkpointInfo = { featureNames: data.featureNames, standardizer: { mean: [...standardizer.mean], std: [...standardizer.std] }, target };
  let state = freshState(network, spec.seed);
  if (options.checkpointDir) {
    const loaded = await loadCheckpoint(options.checkpointDir, fingerprint);
    if (loaded.kind === 'resumable') {
      state = loaded.state;
      print(`resuming from the checkpoint after epoch ${state.epoch}${state.stopReason ? ' (training was already over)' : ''}`);
    } else if (loaded.kind === 'mismatch') {
      print(`ignoring the checkpoint in ${options.checkpointDir}: ${loaded.reason}; starting afresh`);
    }
  }
  const resumedFromEpoch = state.epoch;

  const shuffled = new Uint32Array(split.train.length);
  const order = new Uint32Array(split.train.length);
  const grads = new Float64Array(network.parameterCount);
  const dOutput = new Float64Array(spec.batchSize);
  while (state.stopReason === null && state.epoch < spec.epochs) {
    const epoch = state.epoch + 1;
    const started = performance.now();
    epochOrder(split.train.length, spec.seed, epoch, order);
    for (let i = 0; i < order.length; i++) shuffled[i] = split.train[order[i]!]!;

    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < shuffled.length; start += spec.batchSize) {
      options.signal?.throwIfAborted();
      const count = Math.min(spec.batchSize, shuffled.length - start);
      const out = network.forward(state.params, xs, shuffled, start, count);
      for (let r = 0; r < count; r++) {
        const z = out[r]!;
        const y = ys[shuffled[start + r]!]!;
        if (target) {
          lossSum += (z - y) ** 2;
          dOutput[r] = (2 * (z - y)) / count;
        } else {
          lossSum += logisticLoss(z, y);
          dOutput[r] = (sigmoid(z) - y) / count;
        }
      }
      network.backward(state.params, dOutput, count, grads);
      adamStep(state.params, grads, state.adam, spec.learningRate, spec.l2, network.isWeight);
      if (++batches % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }

    const scored = score(network, state.params, xs, split.validation, target);
    const metrics: Record<string, number> = {
      train_loss: (lossSum / shuffled.length) * lossScale,
      ...validationMetrics(scored, data.y, split.validation, target !== undefined),
    };
    const valLoss = metrics.val_loss!;
    if (valLoss < state.bestValLoss || state.bestEpoch === 0) {
      state.bestValLoss = valLoss;
      state.bestEpoch = epoch;
      state.bestParams.set(state.params);
      state.badEpochs = 0;
    } else {
      state.badEpochs++;
    }
    state.epoch = epoch;
    state.history.push({ epoch, metrics });
    if (state.badEpochs >= spec.patience) state.stopReason = 'early-stopping';
    else if (epoch >= spec.epochs) state.stopReason = 'epochs';

    // tracking first, then the checkpoint: a kill in between repeats this epoch's (identical) points
    log.logMetrics(metrics, epoch);
    await log.flush();
    if (options.checkpointDir) await saveCheckpoint(options.checkpointDir, fingerprint, state, checkpointInfo);
    print(progressLine(epoch, spec.epochs, metrics, state, performance.now() - started));
    if (options.stopAfterEpoch !== undefined && epoch >= options.stopAfterEpoch && state.stopReason === null) {
      return { status: 'stopped', history: state.history, bestEpoch: state.bestEpoch, stopReason: null, resumedFromEpoch, rows, split: splitInfo(split) };
    }
  }

  const model = fittedModel(network, state.bestParams, { task: spec.task, label: spec.label, featureNames: data.featureNames, standardizer, target });
  const validation = exportedModelMetrics(model, data, split.validation);
  log.logMetrics({ best_epoch: state.bestEpoch, ...Object.fromEntries(Object.entries(validation).map(([k, v]) => [`best_${k}`, v])) }, state.bestEpoch);
  await log.flush();
  print(`done: ${state.stopReason === 'early-stopping' ? 'early stopping' : 'all epochs run'}, best epoch ${state.bestEpoch} (${formatMetrics(validation)})`);
  return { status: 'completed', model, history: state.history, bestEpoch: state.bestEpoch, stopReason: state.stopReason, resumedFromEpoch, validation, rows, split: splitInfo(split) };
}

function freshState(network: DenseNetwork, seed: number): TrainingState {
  const params = network.initialParameters(seed);
  return {
    epoch: 0,
    params,
    adam: newAdamState(network.parameterCount),
    bestEpoch: 0,
    bestValLoss: Number.POSITIVE_INFINITY,
    bestParams: Float64Array.from(params),
    badEpochs: 0,
    stopReason: null,
    history: [],
  };
}
