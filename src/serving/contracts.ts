import type { Tensor } from './runtime/onnx-worker-pool.js';

/**
 * The serving domain's shared nouns. Each part (runtime, batching, protocol codecs,
 * deployments, the prediction log) is built against these, so they can be tested apart.
 */

/** Runs a model on a batch of feeds (the worker pool, or a batcher in front of it). */
export type InferFn = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

/** Triton's dynamic batching, per model: rows of concurrent requests run as one batch. */
export interface BatchingOptions {
  /** most rows in one batch (Triton's `max_batch_size`); a larger request runs alone */
  maxBatchSize: number;
  /** longest a request waits for others to join its batch, in microseconds (`max_queue_delay_microseconds`) */
  maxQueueDelayMicros: number;
  /** batches in flight at once for this model (usually the number of inference workers) */
  maxInFlight?: number;
}

/** One graph input or output as a protocol needs it: ONNX element type and shape (-1 = any). */
export interface TensorSpec {
  name: string;
  /** ONNX Runtime type name: float32, int64, bool, string, … */
  type: string;
  shape: number[];
}

/** One prediction request as the prediction log keeps it (one Parquet row per instance). */
/** A typed array of numbers (not 64-bit integers): what a feature matrix holds. */
export type NumberArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * A request's feature matrix as the prediction log keeps it: one typed array, row-major,
 * `names.length` values a row, instead of one object of 50 fields per row (which costs
 * more than the model on a busy replica). Row r reads as `{ [names[j]]: data[r * names.length + j] }`,
 * NaN and ±Infinity as null. Plain data, so it crosses to the log's encoding thread cheaply.
 */
export interface FeatureMatrix {
  readonly names: readonly string[];
  readonly data: NumberArray;
}

export interface PredictionRecord {
  predictionId: string;
  project: string;
  deployment: string;
  /** the route that answered (`stable`, `canary`, `b`, …) */
  variant: string;
  model: string;
  modelVersion: number;
  /** epoch ms when the request arrived */
  requestedAt: number;
  latencyMs: number;
  status: 'ok' | 'error';
  /** the error code when status is `error` */
  error: string | null;
  /** a mirrored (shadow) call: its answer was never returned */
  shadow: boolean;
  /** `predict` or `oip` */
  protocol: 'predict' | 'oip';
  /** per instance: the entity keys given (empty for OIP) */
  entities: Record<string, unknown>[];
  /** per instance: every feature value the model was fed, by name (or the same as one matrix) */
  features: Record<string, unknown>[] | FeatureMatrix;
  /** per instance: every output, by name (a number, or an array for a wider output) */
  outputs: Record<string, unknown>[];
}
