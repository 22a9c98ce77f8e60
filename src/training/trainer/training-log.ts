/**
 * Where the trainer reports params and per-epoch metrics: a tracking run in a job
 * (see `trackingLog` in tracking-log.ts), memory in tests, nothing at all by default.
 */
export interface TrainingLog {
  logParams(params: Record<string, string | number | boolean>): void;
  /** metrics of one step (the trainer's step is the 1-based epoch) */
  logMetrics(metrics: Record<string, number>, step: number): void;
  /** sends what is buffered; rejects when the sink refused or could not be reached */
  flush(): Promise<void>;
}

/** A sink that drops everything. */
export const NO_LOG: TrainingLog = {
  logParams: () => undefined,
  logMetrics: () => undefined,
  flush: async () => undefined,
};

/** A sink that keeps everything in memory (tests, notebooks). */
export class MemoryTrainingLog implements TrainingLog {
  readonly params: Record<string, string> = {};
  readonly metrics: { key: string; value: number; step: number }[] = [];
  flushes = 0;

  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.params[key] = String(value);
  }

  logMetrics(metrics: Record<string, number>, step: number): void {
    for (const [key, value] of Object.entries(metrics)) this.metrics.push({ key, value, step });
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  /** The values of one metric, in logging order. */
  series(key: string): number[] {
    return this.metrics.filter((m) => m.key === key).map((m) => m.value);
  }
}
