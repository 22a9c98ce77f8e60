import { FalajApiError } from './api-error.js';
import type { FalajClient } from './falaj-client.js';
import type { Metric, Param, RunInfo, RunStatus, Tag } from './types.js';

export interface StartRunOptions {
  name?: string;
  tags?: Record<string, string>;
  /** code version, e.g. a git commit */
  sourceVersion?: string;
  /** how often buffered data is sent (default 1 s) */
  flushIntervalMs?: number;
  /** buffered metric points that trigger a send at once (default 1,000, one full batch) */
  flushAtPoints?: number;
}

// The server's batch limits (MLflow's): 1,000 metrics, 100 params, 100 tags, 1,000 items in all.
const MAX_METRICS = 1_000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;
const MAX_ITEMS = 1_000;
const RETRIES = 3;

/**
 * Starts a run in an experiment (created when missing) and returns a logger for it.
 *
 * @example
 * const run = await startRun(client, 'fraud', 'churn-model', { name: 'xgb-depth-6' });
 * run.logParams({ maxDepth: 6, lr: 0.1 });
 * for (let epoch = 0; epoch < 100; epoch++) run.logMetric('loss', loss(epoch), epoch);
 * await run.end(); // flushes everything, then marks the run FINISHED
 */
export async function startRun(client: FalajClient, project: string, experiment: string, options: StartRunOptions = {}): Promise<RunLogger> {
  const { id: experimentId } = await experimentNamed(client, project, experiment);
  const run = await client.tracking.createRun(project, {
    experimentId,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.sourceVersion !== undefined ? { sourceVersion: options.sourceVersion } : {}),
  });
  return new RunLogger(client, project, run.info, options);
}

async function experimentNamed(client: FalajClient, project: string, name: string) {
  try {
    return await client.tracking.getExperimentByName(project, name);
  } catch (err) {
    if (!(err instanceof FalajApiError) || err.code !== 'FALAJ_EXPERIMENT_NOT_FOUND') throw err;
  }
  try {
    return await client.tracking.createExperiment(project, { name });
  } catch (err) {
    // another process created it between our two calls
    if (err instanceof FalajApiError && err.code === 'FALAJ_EXPERIMENT_EXISTS') return client.tracking.getExperimentByName(project, name);
    throw err;
  }
}

/**
 * Logs a run's params, tags and metrics without waiting on the network: calls buffer,
 * and the buffer is sent in `log-batch` calls in the background, every second or as
 * soon as 1,000 points wait. Batches go one at a time, in order. A batch the server
 * refuses (a param logged twice with two values, a limit) is dropped and its error
 * kept; `flush()` and `end()` report it. Network failures are retried.
 */
export class RunLogger {
  readonly runId: string;
  private metrics: Metric[] = [];
  private params: Param[] = [];
  private tags: Tag[] = [];
  private sending: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly timer: NodeJS.Timeout;
  private readonly flushAtPoints: number;
  private ended = false;

  constructor(
    private readonly client: FalajClient,
    readonly project: string,
    readonly info: RunInfo,
    options: StartRunOptions = {},
  ) {
    this.runId = info.id;
    this.flushAtPoints = options.flushAtPoints ?? MAX_METRICS;
    this.timer = setInterval(() => this.flushInBackground(), options.flushIntervalMs ?? 1_000);
    this.timer.unref(); // a forgotten end() must not keep the process alive
  }

  logParam(key: string, value: string | number | boolean): void {
    this.checkOpen();
    this.params.push({ key, value: String(value) });
  }

  logParams(params: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(params)) this.logParam(key, value);
  }

  /** A metric point at `step` (default 0), stamped now. */
  logMetric(key: string, value: number, step = 0): void {
    this.checkOpen();
    this.metrics.push({ key, value, step, timestamp: Date.now() });
    if (this.metrics.length >= this.flushAtPoints) this.flushInBackground();
  }

  logMetrics(metrics: Record<string, number>, step = 0): void {
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, step);
  }

  setTag(key: string, value: string): void {
    this.checkOpen();
    this.tags.push({ key, value });
  }

  /** Uploads a local file as `path` under this run (e.g. `model/model.onnx`). */
  async logArtifact(path: string, filePath: string): Promise<{ path: string; sha256: string; bytes: number }> {
    this.checkOpen();
    return this.client.tracking.logArtifact(this.project, this.runId, path, filePath);
  }

  /**
   * Registers the files under `artifactPath` as a new version of `model` (created when
   * missing): the platform signs the list of files and their SHA-256.
   */
  async registerModel(model: string, artifactPath: string, options: { description?: string; lineage?: Record<string, unknown> } = {}) {
    await this.flush();
    await this.client.models.create(this.project, { name: model }).catch((err: { code?: string }) => {
      if (err?.code !== 'FALAJ_MODEL_EXISTS') throw err;
    });
    return this.client.models.register(this.project, model, {
      source: `runs:/${this.runId}/${artifactPath}`,
      runId: this.runId,
      artifactPath,
      ...(options.description ? { description: options.description } : {}),
      ...(options.lineage ? { lineage: options.lineage as never } : {}),
    });
  }

  /** Sends everything buffered so far; rejects with the first refusal since the last report. */
  async flush(): Promise<void> {
    await this.schedule();
    this.report();
  }

  /**
   * Flushes everything, then ends the run with `status` and the current time. The run is
   * ended even when a batch was refused; that refusal is then thrown.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<RunInfo> {
    this.checkOpen();
    this.ended = true;
    clearInterval(this.timer);
    await this.schedule();
    const info = await this.client.tracking.endRun(this.project, this.runId, status);
    this.report();
    return info;
  }

  private checkOpen(): void {
    if (this.ended) throw new Error(`run ${this.runId} has ended: start another run to log more`);
  }

  private flushInBackground(): void {
    if (this.metrics.length + this.params.length + this.tags.length === 0) return;
    void this.schedule(); // its refusals are kept for flush() and end()
  }

  /** Queues a drain of the buffer behind the batches already on their way. */
  private schedule(): Promise<void> {
    this.sending = this.sending.then(() => this.drain());
    return this.sending;
  }

  private async drain(): Promise<void> {
    while (this.metrics.length + this.params.length + this.tags.length > 0) {
      const params = this.params.splice(0, MAX_PARAMS);
      const tags = this.tags.splice(0, MAX_TAGS);
      const metrics = this.metrics.splice(0, Math.min(MAX_METRICS, MAX_ITEMS - params.length - tags.length));
      try {
        await this.send({ metrics, params, tags });
      } catch (err) {
        this.failure ??= err;
      }
    }
  }

  private async send(batch: { metrics: Metric[]; params: Param[]; tags: Tag[] }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.tracking.logBatch(this.project, this.runId, batch);
      } catch (err) {
        // unreachable (status 0) or unavailable (5xx): worth another try; 4xx is final
        const transient = err instanceof FalajApiError && (err.status === 0 || err.status >= 500);
        if (!transient || attempt >= RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private report(): void {
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
  }
}
