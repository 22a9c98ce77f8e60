import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { KubeApi, ObjectRef, ObservedJob, ObservedPod } from '../../../../src/training/executors/kubernetes/index.js';
import { expectValidJob, expectValidSecret } from './fixtures.js';

interface Watcher {
  namespace: string;
  labelSelector: string;
  onEvent: (type: string, job: ObservedJob) => void;
  onClosed: (err: unknown) => void;
  open: boolean;
}

/**
 * An in-memory stand-in for the executor's own {@link KubeApi} port (not for the
 * Kubernetes API: no HTTP, no Job controller). The tests drive it by hand (set a Job's
 * status, remove it, drop the watch) to check the executor's sequencing: exactly one
 * outcome, the stop reason over `lost`, polling while the watch is down, clean-up.
 * What a real API server does with these calls is not tested here (see the docs).
 */
export class StubKubeApi implements KubeApi {
  readonly jobs = new Map<string, IJob>();
  readonly secrets = new Map<string, ISecret>();
  readonly pods: ObservedPod[] = [];
  readonly logs = new Map<string, string>();
  readonly calls: string[] = [];
  readonly watchers: Watcher[] = [];
  /** the next n deletes of a Job fail */
  failDeletes = 0;
  /** createJob fails */
  failCreate = false;
  /** watchJobs fails to connect */
  failWatch = false;
  /** the next n reads of a Job fail */
  failReads = 0;

  async createSecret(secret: ISecret): Promise<void> {
    expectValidSecret(secret);
    this.calls.push(`createSecret ${secret.metadata!.name}`);
    this.secrets.set(secret.metadata!.name!, secret);
  }

  async setSecretOwner(secret: ObjectRef, job: { name: string; uid: string }): Promise<void> {
    this.calls.push(`setSecretOwner ${secret.name} ${job.uid}`);
    const s = this.secrets.get(secret.name)!;
    s.metadata!.ownerReferences = [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid }];
  }

  async deleteSecret(secret: ObjectRef): Promise<void> {
    this.calls.push(`deleteSecret ${secret.name}`);
    this.secrets.delete(secret.name);
  }

  async createJob(job: IJob): Promise<{ uid: string }> {
    expectValidJob(job);
    this.calls.push(`createJob ${job.metadata!.name}`);
    if (this.failCreate) throw Object.assign(new Error('admission webhook denied the request'), { code: 403 });
    const uid = `uid-${job.metadata!.name}`;
    this.jobs.set(job.metadata!.name!, { ...structuredClone(job), metadata: { ...job.metadata, uid } });
    return { uid };
  }

  async readJob(ref: ObjectRef): Promise<ObservedJob | null> {
    this.calls.push(`readJob ${ref.name}`);
    if (this.failReads > 0) {
      this.failReads -= 1;
      throw new Error('ECONNRESET');
    }
    const job = this.jobs.get(ref.name);
    return job ? structuredClone(job) : null;
  }

  async deleteJob(ref: ObjectRef, options: { gracePeriodSeconds?: number | undefined; propagationPolicy: 'Foreground' | 'Background' }): Promise<boolean> {
    this.calls.push(`deleteJob ${ref.name} ${options.propagationPolicy} ${options.gracePeriodSeconds ?? '-'}`);
    if (this.failDeletes > 0) {
      this.failDeletes -= 1;
      throw new Error('the server is currently unable to handle the request');
    }
    const job = this.jobs.get(ref.name);
    if (!job) return false;
    // foreground deletion: the Job stays, marked, until its pods are gone (the test calls remove)
    job.metadata!.deletionTimestamp = '2025-03-02T10:30:00Z';
    this.emit('MODIFIED', job);
    if (options.propagationPolicy === 'Background') this.remove(ref.name);
    return true;
  }

  async listPods(namespace: string, labelSelector: string): Promise<ObservedPod[]> {
    this.calls.push(`listPods ${labelSelector}`);
    const [key, value] = labelSelector.split('=');
    return this.pods.filter((p) => (p.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[key!] === value && p.metadata?.namespace === namespace);
  }

  async readPodLog(pod: ObjectRef, container: string): Promise<string> {
    this.calls.push(`readPodLog ${pod.name} ${container}`);
    return this.logs.get(pod.name) ?? '';
  }

  async watchJobs(namespace: string, labelSelector: string, onEvent: Watcher['onEvent'], onClosed: Watcher['onClosed']): Promise<{ stop(): void }> {
    this.calls.push(`watchJobs ${labelSelector}`);
    if (this.failWatch) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const watcher: Watcher = { namespace, labelSelector, onEvent, onClosed, open: true };
    this.watchers.push(watcher);
    // like the API server: the current state first
    for (const job of this.jobs.values()) if (matches(job, labelSelector)) queueMicrotask(() => watcher.open && onEvent('ADDED', structuredClone(job)));
    return { stop: () => (watcher.open = false) };
  }

  // --- driven by the tests ---------------------------------------------------------------

  setStatus(name: string, status: NonNullable<IJob['status']>): void {
    const job = this.jobs.get(name)!;
    job.status = status;
    this.emit('MODIFIED', job);
  }

  /** the Job disappears (deleted, garbage-collected, or its foreground deletion finished) */
  remove(name: string): void {
    const job = this.jobs.get(name);
    if (!job) return;
    this.jobs.delete(name);
    this.emit('DELETED', job);
  }

  dropWatches(err: unknown = new Error('socket hang up')): void {
    for (const w of this.watchers.splice(0)) {
      if (!w.open) continue;
      w.open = false;
      w.onClosed(err);
    }
  }

  get openWatches(): number {
    return this.watchers.filter((w) => w.open).length;
  }

  private emit(type: string, job: IJob): void {
    for (const w of this.watchers) if (w.open && matches(job, w.labelSelector)) w.onEvent(type, structuredClone(job));
  }
}

function matches(job: IJob, selector: string): boolean {
  const [key, value] = selector.split('=');
  return job.metadata?.labels?.[key!] === value;
}
