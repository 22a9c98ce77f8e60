import { ConfigError, InputError, UnavailableError } from '../../core/errors/index.js';
import type { BatchingOptions, InferFn } from '../contracts.js';
import type { Tensor } from '../runtime/index.js';
import { systemClock, type BatchClock } from './batch-clock.js';
import { assertBatched, concatFeeds, describeFeeds, splitOutputs } from './tensor-batch.js';

/** Options of one model's batcher: Triton's settings, plus backpressure and a clock for tests. */
export interface DynamicBatcherOptions extends BatchingOptions {
  /**
   * Most rows waiting (not yet running) before new requests are refused with
   * `FALAJ_INFERENCE_QUEUE_FULL`; default 10 × maxBatchSize × maxInFlight, about ten full
   * batches per slot. A request that finds the queue empty is always taken.
   */
  maxQueuedRows?: number;
  /** time source and timers (default: the real clock) */
  clock?: BatchClock;
}

/** What the batcher is doing, for metrics and tests. */
export interface DynamicBatcherStats {
  queuedRequests: number;
  queuedRows: number;
  /** batches running now (≤ maxInFlight) */
  inFlight: number;
  /** batches dispatched so far (a solo retry after a failed batch is not counted) */
  batches: number;
  /** mean rows per dispatched batch (0 before the first) */
  meanBatchRows: number;
}

interface QueuedRequest {
  feeds: Record<string, Tensor>;
  rows: number;
  enqueuedAt: number;
  /** set when the queue-delay timer armed for this request fires */
  expired: boolean;
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (err: unknown) => void;
}

/** Requests that can share a batch (same input names, types and dims past dim 0), oldest first. */
interface ShapeGroup {
  queue: QueuedRequest[];
  rows: number;
  timerFor: QueuedRequest | null;
  cancelTimer: (() => void) | null;
}

/**
 * Triton-style dynamic batching in front of an {@link InferFn}. Concurrent requests
 * with compatible inputs are concatenated along dim 0 into batches of at most
 * `maxBatchSize` rows, run once, and the outputs split back by row ranges.
 *
 * - A batch is dispatched when a slot is free (at most `maxInFlight` batches run) and
 *   either its group holds `maxBatchSize` rows or its oldest request has waited
 *   `maxQueueDelayMicros`; with a delay of 0 a request runs as soon as a slot is free.
 *   While every slot is busy requests keep queueing, so under load batches grow on
 *   their own. The ready group whose oldest request is oldest goes first.
 * - A request is never split. One with more rows than `maxBatchSize` runs alone, whole
 *   (Triton would refuse it; here the model decides whether it can take it).
 * - A lone request with a free slot runs with its own feeds, uncopied.
 * - Every output must have the batch as dim 0, or every request of the batch fails
 *   with `FALAJ_INFERENCE_FAILED` (the rows cannot be attributed).
 * - When a batch of several requests fails with an `InputError`, each is retried alone
 *   within the same slot, so only the bad request fails; any other error is given to
 *   every request of the batch.
 * - Triton's `preferred_batch_size` is not offered: batches are as large as the queue
 *   allows, which is Triton's own default.
 *
 * Feeds may be transferred to a worker thread (unusable afterwards), as with the pool.
 *
 * @example
 * const batcher = new DynamicBatcher((feeds) => pool.infer('churn:3', feeds), { maxBatchSize: 32, maxQueueDelayMicros: 2000, maxInFlight: 2 });
 * const { probability } = await batcher.infer({ features: { type: 'float32', data, dims: [1, 4] } });
 */
export class DynamicBatcher {
  private readonly maxBatchSize: number;
  private readonly delayMicros: number;
  private readonly maxInFlight: number;
  private readonly maxQueuedRows: number;
  private readonly clock: BatchClock;
  private readonly groups = new Map<string, ShapeGroup>();
  private queuedRequests = 0;
  private queuedRows = 0;
  private inFlight = 0;
  private batches = 0;
  private batchedRows = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly run: InferFn,
    options: DynamicBatcherOptions,
  ) {
    this.maxBatchSize = wholeNumber('maxBatchSize', options.maxBatchSize, 1);
    this.delayMicros = wholeNumber('maxQueueDelayMicros', options.maxQueueDelayMicros, 0);
    this.maxInFlight = wholeNumber('maxInFlight', options.maxInFlight ?? 1, 1);
    this.maxQueuedRows = wholeNumber('maxQueuedRows', options.maxQueuedRows ?? 10 * this.maxBatchSize * this.maxInFlight, 1);
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Runs one request: every input has the request's rows as dim 0. Resolves with this
   * request's rows of every output; rejects with `FALAJ_INFERENCE_INPUT_INVALID` for
   * feeds that cannot be batched, `FALAJ_INFERENCE_QUEUE_FULL` when too many rows wait,
   * `FALAJ_UNAVAILABLE` once closed, or the model's own error.
   */
  infer(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.closed) return Promise.reject(new UnavailableError('FALAJ_UNAVAILABLE', 'the batcher is closed; the model is being unloaded or the server is stopping'));
    let rows: number;
    let shapeKey: string;
    try {
      ({ rows, shapeKey } = describeFeeds(feeds));
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.queuedRows > 0 && this.queuedRows + rows > this.maxQueuedRows) {
      return Promise.reject(
        new UnavailableError('FALAJ_INFERENCE_QUEUE_FULL', `${this.queuedRows} rows are already waiting for this model (limit ${this.maxQueuedRows}); retry later or add inference workers`, {
          details: { queuedRows: this.queuedRows, maxQueuedRows: this.maxQueuedRows },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const request: QueuedRequest = { feeds, rows, enqueuedAt: 0, expired: false, resolve, reject };
      // fast path: nothing waits, a slot is free and there is no reason to wait for company
      if (this.queuedRows === 0 && this.inFlight < this.maxInFlight && (this.delayMicros === 0 || rows >= this.maxBatchSize)) {
        this.dispatch([request]);
        return;
      }
      request.enqueuedAt = this.clock.nowMicros();
      let group = this.groups.get(shapeKey);
      if (!group) {
        group = { queue: [], rows: 0, timerFor: null, cancelTimer: null };
        this.groups.set(shapeKey, group);
      }
      group.queue.push(request);
      group.rows += rows;
      this.queuedRows += rows;
      this.queuedRequests++;
      if (group.queue.length === 1) this.armTimer(group, request.enqueuedAt);
      this.pump();
    });
  }

  /** Queue and batch counters (see {@link DynamicBatcherStats}). */
  stats(): DynamicBatcherStats {
    return {
      queuedRequests: this.queuedRequests,
      queuedRows: this.queuedRows,
      inFlight: this.inFlight,
      batches: this.batches,
      meanBatchRows: this.batches === 0 ? 0 : this.batchedRows / this.batches,
    };
  }

  /** Refuses new requests, rejects every queued one with `FALAJ_UNAVAILABLE`, and resolves once running batches have settled. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new UnavailableError('FALAJ_UNAVAILABLE', 'the batcher was closed before this request ran; retry against the new model version or server');
    for (const group of this.groups.values()) {
      group.cancelTimer?.();
      for (const r of group.queue) r.reject(err);
    }
    this.groups.clear();
    this.queuedRequests = 0;
    this.queuedRows = 0;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Dispatches ready batches while slots are free. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.groups.size > 0) {
      const ready = this.oldestReady();
      if (!ready) return;
      this.dispatch(this.take(ready[0], ready[1]));
    }
  }

  private oldestReady(): [string, ShapeGroup] | undefined {
    const now = this.clock.nowMicros();
    let best: [string, ShapeGroup] | undefined;
    for (const entry of this.groups) {
      const group = entry[1];
      const head = group.queue[0]!;
      const ready = group.rows >= this.maxBatchSize || head.expired || now - head.enqueuedAt >= this.delayMicros;
      if (ready && (!best || head.enqueuedAt < best[1].queue[0]!.enqueuedAt)) best = entry;
    }
    return best;
  }

  /** Takes the group's oldest requests up to maxBatchSize rows (always at least one). */
  private take(key: string, group: ShapeGroup): QueuedRequest[] {
    let rows = 0;
    let n = 0;
    while (n < group.queue.length && (n === 0 || rows + group.queue[n]!.rows <= this.maxBatchSize)) rows += group.queue[n++]!.rows;
    const batch = group.queue.splice(0, n);
    group.rows -= rows;
    this.queuedRows -= rows;
    this.queuedRequests -= n;
    if (group.queue.length === 0) {
      group.cancelTimer?.();
      this.groups.delete(key);
    } else {
      this.armTimer(group, this.clock.nowMicros());
    }
    return batch;
  }

  /** Arms the queue-delay timer for the group's oldest request, if not already armed for it. */
  private armTimer(group: ShapeGroup, now: number): void {
    const head = group.queue[0]!;
    if (this.delayMicros === 0 || group.timerFor === head) return;
    group.cancelTimer?.();
    group.cancelTimer = null;
    group.timerFor = null;
    const remaining = head.enqueuedAt + this.delayMicros - now;
    if (remaining <= 0) {
      head.expired = true;
      return;
    }
    group.timerFor = head;
    group.cancelTimer = this.clock.schedule(remaining, () => {
      if (group.timerFor === head) {
        group.timerFor = null;
        group.cancelTimer = null;
      }
      head.expired = true;
      this.pump();
    });
  }

  private dispatch(batch: QueuedRequest[]): void {
    this.inFlight++;
    this.batches++;
    for (const r of batch) this.batchedRows += r.rows;
    void this.execute(batch).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0 && this.idleWaiters.length > 0) for (const done of this.idleWaiters.splice(0)) done();
      this.pump();
    });
  }

  private async execute(batch: QueuedRequest[]): Promise<void> {
    if (batch.length === 1) return this.runAlone(batch[0]!);
    const rowCounts = batch.map((r) => r.rows);
    let outputs: Record<string, Tensor>;
    try {
      outputs = await this.run(concatFeeds(batch.map((r) => r.feeds), rowCounts.reduce((a, b) => a + b, 0)));
    } catch (err) {
      if (!(err instanceof InputError)) return this.failBatch(batch, err);
      // one bad request must not fail the others: run each alone (in this same slot), so only it fails
      for (const r of batch) await this.runAlone(r);
      return;
    }
    let parts: Record<string, Tensor>[];
    try {
      parts = splitOutputs(outputs, rowCounts);
    } catch (err) {
      return this.failBatch(batch, err);
    }
    batch.forEach((r, i) => r.resolve(parts[i]!));
  }

  private async runAlone(r: QueuedRequest): Promise<void> {
    try {
      const outputs = await this.run(r.feeds);
      assertBatched(outputs, r.rows);
      r.resolve(outputs);
    } catch (err) {
      r.reject(err);
    }
  }

  private failBatch(batch: QueuedRequest[], err: unknown): void {
    for (const r of batch) r.reject(err);
  }
}

function wholeNumber(key: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `batching ${key} must be a whole number ≥ ${min}, got ${String(value)}`, { details: { key } });
  }
  return value;
}
