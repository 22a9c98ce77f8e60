/**
 * The built-in tabular trainer (`trainer: { type: tabular }` in a TrainingJob): logistic /
 * linear regression and a small MLP on typed arrays, with per-epoch checkpoints, tracking
 * and ONNX export. See docs/built-in-trainer.md.
 */
export {
  TabularTrainerSpec,
  TRAINER_DEFAULTS,
  withTrainerDefaults,
  parseTrainerSpec,
  trainerSpecProblems,
  type ResolvedTrainerSpec,
} from './spec.js';
export { selectFeatureColumns, isNumericColumn, TIME_COLUMNS, type TrainingColumn } from './feature-columns.js';
export { loadTrainingData, type TabularDataset } from './training-data.js';
export { splitRows, type DataSplit } from './split.js';
export { fitStandardizer, type Standardizer } from './standardizer.js';
export { rocAuc, accuracy, logLossFromLogits, regressionMetrics, type RegressionMetrics } from './metrics.js';
export { predict, type TabularModel, type DenseLayer } from './tabular-model.js';
export { trainTabularModel, type TrainOptions, type TrainResult } from './train-model.js';
export { type EpochRecord } from './checkpoint.js';
export { exportOnnx, ONNX_INPUT, ONNX_OUTPUT, type OnnxExportOptions } from './onnx-export.js';
export { runTabularTrainer, MODEL_FILE, METRICS_FILE, type RunTabularTrainerOptions, type RunTabularTrainerResult } from './run-trainer.js';
export { NO_LOG, MemoryTrainingLog, type TrainingLog } from './training-log.js';
export { trackingLog, type TrackingTarget } from './tracking-log.js';
export { runTrainerFromEnv, TRAINER_ENV, TRAINER_EXIT, type TrainerIo } from './trainer-main.js';
