import { Counter, Gauge, type Registry } from 'prom-client';

/** What the prediction log counts, as `PredictionLog.stats()` reports it. */
export interface PredictionLogStats {
  /** accepted, in memory, not yet on disk */
  buffered: number;
  /** on disk (or being written there), not yet in Parquet */
  spilled: number;
  /** in Parquet */
  written: number;
  /** flushes where some Parquet write failed (the records stay spilled and are retried) */
  failedFlushes: number;
  /** accepted but neither kept in memory nor on disk: memory full and disk failing, or unstorable */
  dropped: number;
}

/** The log's Prometheus instruments; no-ops when the log has no registry. */
export interface PredictionLogMetrics {
  written(count: number): void;
  dropped(count: number): void;
  flushFailed(): void;
}

/**
 * Registers the prediction log's metrics on `registry`. The two gauges read `stats()` when
 * scraped, so they never drift from the log. One log per registry (names are unique).
 */
export function createPredictionLogMetrics(registry: Registry | undefined, stats: () => PredictionLogStats): PredictionLogMetrics {
  if (!registry) return { written: () => undefined, dropped: () => undefined, flushFailed: () => undefined };
  new Gauge({
    name: 'falaj_prediction_log_buffered_records',
    help: 'Predictions accepted by the prediction log and held in memory, not yet on disk',
    registers: [registry],
    collect() {
      this.set(stats().buffered);
    },
  });
  new Gauge({
    name: 'falaj_prediction_log_spilled_records',
    help: 'Predictions held in spill files on disk, waiting to be written as Parquet',
    registers: [registry],
    collect() {
      this.set(stats().spilled);
    },
  });
  const written = new Counter({
    name: 'falaj_prediction_log_written_total',
    help: 'Predictions written to the offline store as Parquet',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'falaj_prediction_log_dropped_total',
    help: 'Predictions the log accepted but could not keep (memory full and spilling failed, or unstorable)',
    registers: [registry],
  });
  const flushFailures = new Counter({
    name: 'falaj_prediction_log_flush_failures_total',
    help: 'Flushes of the prediction log where writing Parquet failed (records stay spilled and are retried)',
    registers: [registry],
  });
  return {
    written: (count) => written.inc(count),
    dropped: (count) => dropped.inc(count),
    flushFailed: () => flushFailures.inc(),
  };
}
