import type { AttemptOutcome } from '../../contracts.js';
import { isJobFinished, mapJobStatus, type ObservedJob } from './job-status.js';
import type { KubeApi, ObjectRef, WatchHandle } from './kube-api.js';

export type StopReason = 'cancelled' | 'preempted' | 'timed-out';

export interface AttemptTrackerOptions {
  api: KubeApi;
  job: ObjectRef;
  /** selects the attempt's Job and pods */
  labelSelector: string;
  /** the attempt's Secret, deleted once the outcome is known; null when it has none */
  secret: ObjectRef | null;
  onExit: (outcome: AttemptOutcome) => void;
  /** ms; 0 = none. The platform's own timer, ahead of the Job's activeDeadlineSeconds */
  timeoutMs: number;
  gracePeriodMs: number;
  /** polling period while the watch is down */
  pollIntervalMs: number;
  /** a read of the Job at this period even while the watch is up (a quietly dead connection) */
  resyncIntervalMs: number;
  /** called once, before the Job is deleted by a stop (the executor saves the log then) */
  beforeStop?: () => Promise<void>;
  /** called when it is over, after `onExit` */
  onDone?: () => void;
  warn?: (message: string, err?: unknown) => void;
}

/** How long after the grace period a stop waits for the Job to be gone before it reports anyway. */
const STOP_SLACK_MS = 30_000;
const MAX_WATCH_BACKOFF_MS = 30_000;

/**
 * Follows one attempt's Job until its outcome is known and reports it exactly once.
 *
 * A watch on the Job (label selector) gives changes as they happen; when it drops, a
 * read every `pollIntervalMs` takes over until a new watch is up (backing off to 30 s),
 * and a read every `resyncIntervalMs` covers a connection that died without closing.
 * Observations are handled one at a time, in order. Once a stop is requested its reason
 * is the outcome, whatever the Job does next; a Job that vanishes otherwise is `lost`.
 */
export class AttemptTracker {
  private finished = false;
  private disposed = false;
  private stopReason: StopReason | undefined;
  private watch: WatchHandle | undefined;
  private watchOpenedAt = 0;
  private watchFailures = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: AttemptTrackerOptions) {}

  get done(): boolean {
    return this.finished || this.disposed;
  }

  start(): void {
    void this.openWatch();
    this.every(this.o.resyncIntervalMs, () => this.check());
    if (this.o.timeoutMs > 0) this.after(this.o.timeoutMs, () => void this.stop('timed-out').catch((err) => this.o.warn?.('stopping a timed-out attempt failed', err)));
  }

  /**
   * Deletes the Job (its pods get their termination grace period) and reports `reason`
   * once it is gone, or after the grace period and 30 s if deletion hangs (a pod on an
   * unreachable node). A failed delete is retried at the polling period. Only the first
   * stop counts.
   */
  async stop(reason: StopReason): Promise<void> {
    if (this.done || this.stopReason) return;
    this.stopReason = reason;
    await this.o.beforeStop?.().catch((err) => this.o.warn?.('saving the log before a stop failed', err));
    this.after(this.o.gracePeriodMs + STOP_SLACK_MS, () => this.finish(this.stopOutcome('its Job was still being deleted when the grace period ran out')));
    await this.deleteJob();
  }

  /** Stops following without reporting (platform shutdown); the Job keeps running. */
  dispose(): void {
    this.disposed = true;
    this.cleanup();
  }

  /** Reads the Job now and acts on what it says. */
  check(): void {
    this.enqueue(async () => {
      let job: ObservedJob | null;
      try {
        job = await this.o.api.readJob(this.o.job);
      } catch (err) {
        this.o.warn?.(`reading Job ${this.o.job.name} failed; will try again`, err);
        return;
      }
      await this.observe(job);
    });
  }

  private async deleteJob(): Promise<void> {
    try {
      // Foreground: the Job disappears only once its pods have, so the outcome arrives
      // when the capacity is free again
      const existed = await this.o.api.deleteJob(this.o.job, { gracePeriodSeconds: Math.ceil(this.o.gracePeriodMs / 1000), propagationPolicy: 'Foreground' });
      if (!existed) this.enqueue(() => this.observe(null));
    } catch (err) {
      this.o.warn?.(`deleting Job ${this.o.job.name} failed; will try again`, err);
      if (!this.done) this.after(this.o.pollIntervalMs, () => void this.deleteJob());
    }
  }

  private async observe(job: ObservedJob | null): Promise<void> {
    if (this.done) return;
    if (job === null) return this.finish(this.stopReason ? this.stopOutcome() : mapJobStatus(null));
    if (this.stopReason) {
      if (isJobFinished(job)) this.finish(this.stopOutcome());
      return;
    }
    if (isJobFinished(job)) {
      const pods = await this.o.api.listPods(this.o.job.namespace, this.o.labelSelector).catch((err) => {
        this.o.warn?.(`listing the pods of Job ${this.o.job.name} failed`, err);
        return undefined;
      });
      const state = mapJobStatus(job, pods);
      if (typeof state === 'object' && !this.done && !this.stopReason) this.finish(state);
      return;
    }
    // a pod that can never start keeps its Job pending for ever: look at the pods while pending
    if (mapJobStatus(job) === 'pending') {
      const pods = await this.o.api.listPods(this.o.job.namespace, this.o.labelSelector).catch(() => undefined);
      const state = pods ? mapJobStatus(job, pods) : 'pending';
      if (typeof state === 'object' && !this.done && !this.stopReason) {
        await this.o.api.deleteJob(this.o.job, { propagationPolicy: 'Background' }).catch((err) => this.o.warn?.(`deleting Job ${this.o.job.name} failed`, err));
        this.finish(state);
      }
    }
  }

  private stopOutcome(note?: string): AttemptOutcome {
    const suffix = note ? ` (${note})` : '';
    switch (this.stopReason) {
      case 'timed-out':
        return { kind: 'timed-out', message: `ran past its timeout of ${this.o.timeoutMs} ms and was stopped${suffix}` };
      case 'preempted':
        return { kind: 'preempted', message: `preempted to make room for a higher-priority job${suffix}` };
      default:
        return { kind: 'cancelled', message: `cancelled${suffix}` };
    }
  }

  private finish(outcome: AttemptOutcome): void {
    if (this.done) return;
    this.finished = true;
    this.cleanup();
    try {
      this.o.onExit(outcome);
    } catch (err) {
      this.o.warn?.('the exit handler of an attempt threw', err);
    }
    // the Job keeps its pods (and logs) until ttlSecondsAfterFinished; the token goes now
    if (this.o.secret) void this.o.api.deleteSecret(this.o.secret).catch((err) => this.o.warn?.(`deleting Secret ${this.o.secret!.name} failed`, err));
    this.o.onDone?.();
  }

  // --- watch, polling, timers ---------------------------------------------------------

  private async openWatch(): Promise<void> {
    if (this.done) return;
    this.watchOpenedAt = Date.now();
    try {
      const handle = await this.o.api.watchJobs(this.o.job.namespace, this.o.labelSelector, (type, job) => this.onWatchEvent(type, job), (err) => this.onWatchClosed(err));
      if (this.done) handle.stop();
      else this.watch = handle;
    } catch (err) {
      this.onWatchClosed(err);
    }
  }

  private onWatchEvent(type: string, job: ObservedJob): void {
    if (this.done) return;
    if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      this.watchFailures = 0;
      this.stopPolling();
      this.enqueue(() => this.observe(type === 'DELETED' ? null : job));
    }
    // ERROR carries a Status; the stream ends after it and onWatchClosed takes over
  }

  private onWatchClosed(err: unknown): void {
    this.watch = undefined;
    if (this.done) return;
    // a clean close after a while is the server's timeoutSeconds: catch up and watch again
    if (err == null && Date.now() - this.watchOpenedAt > 1_000) {
      this.check();
      void this.openWatch();
      return;
    }
    this.watchFailures += 1;
    if (this.watchFailures === 1) this.o.warn?.(`the watch on Job ${this.o.job.name} dropped; polling every ${this.o.pollIntervalMs} ms until it is back`, err);
    this.startPolling();
    this.check();
    this.after(Math.min(MAX_WATCH_BACKOFF_MS, 1_000 * 2 ** (this.watchFailures - 1)), () => void this.openWatch());
  }

  private startPolling(): void {
    if (!this.pollTimer) this.pollTimer = this.every(this.o.pollIntervalMs, () => this.check());
  }

  private stopPolling(): void {
    if (!this.pollTimer) return;
    clearInterval(this.pollTimer);
    this.timers.delete(this.pollTimer);
    this.pollTimer = undefined;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((err) => this.o.warn?.(`following Job ${this.o.job.name} failed`, err));
  }

  private after(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private every(ms: number, run: () => void): NodeJS.Timeout {
    const t = setInterval(run, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private cleanup(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pollTimer = undefined;
    this.watch?.stop();
    this.watch = undefined;
  }
}
