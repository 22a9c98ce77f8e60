import type { Registry } from 'prom-client';
import { ConfigError, UnavailableError } from '../../core/errors/index.js';
import type { PredictionRecord } from '../contracts.js';
import { writeSegmentParquet, type PredictionLogEngine } from './parquet-segment.js';
import { createPredictionLogMetrics, type PredictionLogMetrics, type PredictionLogStats } from './prediction-log-metrics.js';
import { SpillStore } from './spill-store.js';

/** How the prediction log buffers, spills and writes. */
export interface PredictionLogOptions {
  /** the offline directory (`<dataDir>/offline`); Parquet goes to `<dir>/<project>/predictions/<deployment>/date=YYYY-MM-DD/` */
  dir: string;
  /** where spilled JSON-lines segments wait (`<dataDir>/serving/prediction-log`); one process per folder */
  spillDir: string;
  /** the offline engine (`LazyDuckDbEngine`) */
  engine: PredictionLogEngine;
  /**
   * predictions held in memory before they are spilled to disk (default 10,000); while a
   * spill is being written up to as many again wait in memory, and past that a burst is
   * dropped (counted and reported)
   */
  maxBufferedRecords?: number;
  /** how often buffered and spilled predictions are written as Parquet (default 2,000 ms) */
  flushIntervalMs?: number;
  /** write early once this many predictions are buffered (default 5,000; at most `maxBufferedRecords`) */
  flushRecords?: number;
  /**
   * encode spill segments on a worker thread (default true, when the build has one): the
   * JSON of each prediction's features is the log's largest cost, kept off the serving thread
   */
  encodeOnWorker?: boolean;
  /** where the log's metrics are registered; none when absent */
  registry?: Registry;
  /** warnings: a flush that failed and will be retried, predictions that had to be dropped */
  onError?: (err: Error) => void;
}

// Failing Parquet writes tried in one flush before the rest wait for the next: enough to
// get past one bad segment, few enough that an offline engine is not hammered.
const MAX_FAILURES_PER_FLUSH = 3;

/**
 * The asynchronous prediction log: every prediction (request features, outputs, model
 * version, variant, latency, id) ends up as Parquet rows in the offline store, one row per
 * instance, for monitoring and for joining labels later.
 *
 * `append` only pushes onto an in-memory buffer. Every `flushIntervalMs` (or once
 * `flushRecords` are waiting) the buffer is written to a JSON-lines segment in `spillDir`
 * and each segment becomes Parquet in one DuckDB `COPY` per (project, deployment); a segment
 * is deleted only once its Parquet is written. When the buffer is full it spills to a segment
 * at once; when a Parquet write fails the segment stays and is retried; a later `start()`
 * (after a crash) writes what earlier processes left. Delivery is at-least-once: a crash
 * between a `COPY` and the segment's deletion writes those rows twice, identified by
 * (`prediction_id`, `row`, `variant`, `shadow`: a mirrored call shares its primary's id) and removed by `readPredictions`.
 *
 * A prediction is dropped only when memory is full and the disk refuses the spill, or when it
 * cannot be stored at all (a name unfit for a path); each drop is counted in `stats().dropped`
 * and `falaj_prediction_log_dropped_total` and reported through `onError`.
 *
 * @example
 * const log = new PredictionLog({ dir: join(dataDir, 'offline'), spillDir: join(dataDir, 'serving', 'prediction-log'), engine: offline, registry });
 * await log.start();
 * log.append(record); // after answering; never throws
 * await log.close();  // at shutdown
 */
export class PredictionLog {
  private buffer: PredictionRecord[] = [];
  private readonly spill: SpillStore;
  private readonly metrics: PredictionLogMetrics;
  private readonly maxBuffered: number;
  private readonly flushRecords: number;
  private readonly flushIntervalMs: number;
  private readonly onError: (err: Error) => void;
  private written = 0;
  private failedFlushes = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private flushQueued = false;
  private flushTail: Promise<unknown> = Promise.resolve();
  // after a failed spill, the next attempt waits for a flush instead of retrying per append
  private spillBlocked = false;
  // a run of drops warns once, not once per prediction
  private dropping = false;

  constructor(private readonly options: PredictionLogOptions) {
    this.maxBuffered = positiveInteger('maxBufferedRecords', options.maxBufferedRecords ?? 10_000);
    this.flushRecords = Math.min(positiveInteger('flushRecords', options.flushRecords ?? 5_000), this.maxBuffered);
    this.flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs ?? 2_000);
    this.onError = options.onError ?? ((err) => process.emitWarning(err));
    this.spill = new SpillStore(options.spillDir, { worker: options.encodeOnWorker ?? true });
    this.metrics = createPredictionLogMetrics(options.registry, () => this.stats());
  }

  /**
   * Takes over segments left in `spillDir` by an earlier process, schedules them for
   * writing, and starts the flush timer. Never rejects: an unreadable folder is a warning,
   * and predictions are still accepted.
   */
  async start(): Promise<void> {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.timer.unref(); // the log never keeps a process alive; close() does the last flush
    try {
      const found = await this.spill.recover();
      for (const err of found.errors) this.warn(`a spilled prediction segment in ${this.options.spillDir} cannot be read; it is left there: ${err.message}`, err);
      if (found.unreadableLines > 0) {
        this.warn(`${found.unreadableLines} lines of interrupted spill files in ${this.options.spillDir} could not be read and are lost (a crash while spilling)`);
      }
      if (found.segments > 0) this.requestFlush();
    } catch (err) {
      this.warn(`cannot take over spilled predictions in ${this.options.spillDir}: ${message(err)}. Check that the folder exists and is writable.`, err);
    }
  }

  /**
   * Accepts one prediction. Synchronous, O(1), never throws, never waits on I/O; after
   * `close()` the prediction goes straight to a spill segment for the next start. The record
   * is kept by reference until written: do not change it afterwards.
   */
  append(record: PredictionRecord): void {
    try {
      if (this.buffer.length >= this.maxBuffered && !this.spillBuffer()) {
        this.drop(1, `memory holds ${this.maxBuffered} predictions and spilling to ${this.options.spillDir} is failing or behind`);
        return;
      }
      this.buffer.push(record);
      if (this.closed || this.buffer.length >= this.maxBuffered) this.spillBuffer();
      else if (this.buffer.length >= this.flushRecords) this.requestFlush();
    } catch (err) {
      // nothing above should throw; if it does, the prediction is counted, not lost silently
      this.drop(1, `prediction could not be accepted: ${message(err)}`, true);
    }
  }

  /**
   * Writes everything accepted so far as Parquet (after any flush already running).
   * Never rejects: what could not be written stays spilled, is retried on the next flush,
   * and is reported through `onError` and `stats().failedFlushes`.
   */
  flush(): Promise<{ written: number }> {
    const run = this.flushTail.then(() => this.flushOnce());
    this.flushTail = run;
    return run;
  }

  /** Stops the timer and does a last flush; what it cannot write stays spilled for the next start. */
  async close(): Promise<void> {
    if (this.closed) {
      await this.flushTail;
      return;
    }
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    await this.spill.close();
  }

  /** Where spill segments are encoded now: on a `worker` thread, or `inline` on the serving thread. */
  get encoding(): 'worker' | 'inline' {
    return this.spill.encoding;
  }

  /** Predictions held in memory and on disk, and what became of the others, since this log was made. */
  stats(): PredictionLogStats {
    return { buffered: this.buffer.length, spilled: this.spill.records, written: this.written, failedFlushes: this.failedFlushes, dropped: this.dropped };
  }

  private tick(): void {
    if (this.buffer.length > 0 || this.spill.list().length > 0) this.requestFlush();
  }

  private requestFlush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    void this.flush();
  }

  private async flushOnce(): Promise<{ written: number }> {
    this.flushQueued = false;
    this.spillBlocked = false;
    try {
      if (this.buffer.length > 0) {
        const batch = this.buffer;
        this.buffer = [];
        await this.spillRecords(batch);
      } else {
        await this.spill.idle();
      }
      return { written: await this.writeSegments() };
    } catch (err) {
      this.warn(`prediction log flush failed: ${message(err)}`, err);
      return { written: 0 };
    }
  }

  private async writeSegments(): Promise<number> {
    let written = 0;
    const failures: unknown[] = [];
    const segments = this.spill.list();
    for (const segment of segments) {
      if (failures.length >= MAX_FAILURES_PER_FLUSH) break;
      try {
        await writeSegmentParquet(this.options.engine, this.options.dir, segment);
      } catch (err) {
        failures.push(err);
        continue;
      }
      written += segment.records;
      this.written += segment.records;
      this.metrics.written(segment.records);
      await this.spill.remove(segment).catch((err: unknown) => {
        this.warn(`spill file ${segment.path} was written as Parquet but cannot be deleted; a restart will write its ${segment.records} predictions again: ${message(err)}`, err);
      });
    }
    if (failures.length > 0) {
      this.failedFlushes++;
      this.metrics.flushFailed();
      this.warn(
        `cannot write predictions as Parquet under ${this.options.dir} (${failures.length} of ${segments.length} spilled segments failed): ${message(failures[0])}. ` +
          `They stay in ${this.options.spillDir} and are retried every ${this.flushIntervalMs} ms.`,
        failures[0],
      );
    }
    return written;
  }

  /** Moves the buffer to disk in the background; false when it cannot now (a spill failed or is behind). */
  private spillBuffer(): boolean {
    if (this.spillBlocked || this.spill.pendingRecords >= this.maxBuffered) return false;
    const batch = this.buffer;
    this.buffer = [];
    void this.spillRecords(batch);
    return true;
  }

  private async spillRecords(batch: PredictionRecord[]): Promise<void> {
    const outcome = await this.spill.write(batch);
    if (outcome.unstorable.length > 0) {
      const [first] = outcome.unstorable;
      this.drop(outcome.unstorable.length, `prediction ${first?.predictionId} cannot be stored: ${first?.reason}`, true);
    }
    if (outcome.failed.length === 0) {
      this.dropping = false;
      return;
    }
    // keep what fits in memory (oldest first); the next flush spills it again
    this.spillBlocked = true;
    const kept = outcome.failed.slice(0, Math.max(0, this.maxBuffered - this.buffer.length));
    this.buffer = kept.concat(this.buffer);
    const lost = outcome.failed.length - kept.length;
    this.warn(
      `cannot spill ${outcome.failed.length} predictions to ${this.options.spillDir}: ${message(outcome.error)}; ` +
        `${kept.length} kept in memory${lost > 0 ? `, ${lost} dropped` : ''}. Check the disk.`,
      outcome.error,
    );
    if (lost > 0) this.drop(lost, 'memory is full and the spill failed', true);
  }

  private drop(count: number, reason: string, alwaysWarn = false): void {
    this.dropped += count;
    this.metrics.dropped(count);
    if (!alwaysWarn && this.dropping) return;
    this.dropping = true;
    this.warn(`dropped ${count} prediction${count === 1 ? '' : 's'} from the prediction log: ${reason}`);
  }

  private warn(text: string, cause?: unknown): void {
    try {
      this.onError(new UnavailableError('FALAJ_PREDICTION_LOG_UNAVAILABLE', text, cause === undefined ? undefined : { cause }));
    } catch {
      // a failing warning sink must not break logging
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError('FALAJ_CONFIG_INVALID', `prediction log option ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
