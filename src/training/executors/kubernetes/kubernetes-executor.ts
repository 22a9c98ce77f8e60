import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../../core/errors/index.js';
import type { AttemptLaunch, AttemptOutcome, Executor } from '../../contracts.js';
import { AttemptTracker, type StopReason } from './attempt-tracker.js';
import { isJobFinished, type ObservedPod } from './job-status.js';
import { connectKubernetes, type KubeApi, type KubeConnection, type ObjectRef } from './kube-api.js';
import { resolveKubernetesPoolOptions } from './kubernetes-pool.js';
import { labelValue } from './names.js';
import { ATTEMPT_NAME_LABEL, renderJobManifest, renderTokenSecret, TRAINER_CONTAINER } from './render-job.js';

export interface KubernetesExecutorOptions extends KubeConnection {
  /**
   * A pool's `kubernetes:` options by pool name: raw (as in the ComputePool spec) or
   * already resolved; they are validated and defaulted on every start.
   */
  poolOptions: (pool: string) => unknown;
  /** polling period while a watch is down (default 5 s) */
  pollIntervalMs?: number | undefined;
  /** a read of each Job at this period even while its watch is up (default 60 s) */
  resyncIntervalMs?: number | undefined;
  /** most bytes of log read per pod (default 16 MiB) */
  logLimitBytes?: number | undefined;
  warn?: ((message: string, err?: unknown) => void) | undefined;
  /** how to reach the API; default {@link connectKubernetes} (tests give their own) */
  connect?: ((connection: KubeConnection) => Promise<KubeApi>) | undefined;
}

/**
 * Runs each attempt as a `batch/v1` Job (see `renderJobManifest`) through
 * `@kubernetes/client-node`, which it loads on first use. `start` creates the attempt's
 * Secret, then its Job, then makes the Job the Secret's owner; an {@link AttemptTracker}
 * follows the Job and reports the outcome exactly once. A finished Job stays, with its
 * pods and their logs, until `ttlSecondsAfterFinished` (the platform copies the log with
 * `collectLogs` after the outcome); a stopped one is deleted at once, its log read first.
 *
 * External ids are `<namespace>/<job name>`.
 *
 * @example
 * const executor = new KubernetesExecutor({ kubeconfigPath: '/etc/falaj/kubeconfig', poolOptions: async (pool) => (await service.getPool(pool)).spec.kubernetes });
 */
export class KubernetesExecutor implements Executor {
  readonly kind = 'kubernetes' as const;
  private connection: Promise<KubeApi> | undefined;
  private readonly trackers = new Map<string, AttemptTracker>();
  /** logs read just before a stop deleted the pods, kept until collected */
  private readonly savedLogs = new Map<string, string>();

  constructor(private readonly o: KubernetesExecutorOptions) {
    if (!o.kubeconfigPath && !o.inCluster) {
      throw new ConfigError(
        'FALAJ_KUBERNETES_NOT_CONFIGURED',
        'the Kubernetes executor needs a cluster: set training.kubeconfig to a kubeconfig file (or use in-cluster configuration when Falaj runs inside the cluster)',
      );
    }
    if (o.kubeconfigPath && !existsSync(o.kubeconfigPath)) {
      throw new ConfigError('FALAJ_KUBERNETES_NOT_CONFIGURED', `kubeconfig ${o.kubeconfigPath} does not exist: check training.kubeconfig`, { details: { key: 'training.kubeconfig' } });
    }
  }

  async start(launch: AttemptLaunch, onExit: (outcome: AttemptOutcome) => void): Promise<{ externalId: string }> {
    const options = resolveKubernetesPoolOptions(await this.o.poolOptions(launch.pool.name), `ComputePool/${launch.pool.name} kubernetes`);
    const job = renderJobManifest(launch, options);
    const secret = renderTokenSecret(launch, options);
    const api = await this.api();
    const ref: ObjectRef = { namespace: options.namespace, name: job.metadata!.name! };
    const externalId = `${ref.namespace}/${ref.name}`;

    if (secret) await api.createSecret(secret);
    let uid: string;
    try {
      ({ uid } = await api.createJob(job));
    } catch (err) {
      if (secret) await api.deleteSecret(ref).catch(() => undefined);
      throw err;
    }
    if (secret && uid) {
      // best effort: without an owner the Secret is still deleted when the outcome is known
      await api.setSecretOwner(ref, { name: ref.name, uid }).catch((err) => this.o.warn?.(`could not make Job ${ref.name} the owner of its Secret`, err));
    }

    const tracker = new AttemptTracker({
      api,
      job: ref,
      labelSelector: `${ATTEMPT_NAME_LABEL}=${ref.name}`,
      secret: secret ? ref : null,
      onExit,
      timeoutMs: launch.timeoutMs,
      gracePeriodMs: launch.gracePeriodMs,
      pollIntervalMs: this.o.pollIntervalMs ?? 5_000,
      resyncIntervalMs: this.o.resyncIntervalMs ?? 60_000,
      beforeStop: () => this.saveLogBeforeStop(externalId),
      onDone: () => this.trackers.delete(externalId),
      ...(this.o.warn ? { warn: this.o.warn } : {}),
    });
    this.trackers.set(externalId, tracker);
    tracker.start();
    return { externalId };
  }

  /**
   * Deletes the attempt's Job (propagation `Foreground`; each pod gets its
   * `terminationGracePeriodSeconds`, SIGTERM then SIGKILL). The outcome reported for an
   * attempt this executor follows is `reason`, never `lost`.
   */
  async stop(externalId: string, reason: StopReason): Promise<void> {
    const tracker = this.trackers.get(externalId);
    if (tracker) return tracker.stop(reason);
    // an attempt from before a platform restart: nothing follows it, so just delete it
    const ref = parseExternalId(externalId);
    if (!ref) return;
    const api = await this.api();
    await api.deleteJob(ref, { propagationPolicy: 'Foreground' });
    await api.deleteSecret(ref).catch(() => undefined);
  }

  /**
   * Whether the attempt's Job exists and has not finished (nor is being deleted). With
   * `attemptKey` (`<job id>/<attempt>`), also that the Job carries that attempt's labels.
   */
  async isAlive(externalId: string, attemptKey?: string): Promise<boolean> {
    const ref = parseExternalId(externalId);
    if (!ref) return false;
    const job = await (await this.api()).readJob(ref);
    if (!job || job.metadata?.deletionTimestamp || isJobFinished(job)) return false;
    if (attemptKey) {
      const slash = attemptKey.lastIndexOf('/');
      const labels = job.metadata?.labels ?? {};
      if (labels['falaj.dev/job-id'] !== labelValue(attemptKey.slice(0, slash)) || labels['falaj.dev/attempt'] !== attemptKey.slice(slash + 1)) return false;
    }
    return true;
  }

  /**
   * The log of the attempt's pods, oldest pod first (a pod replaced after a disruption
   * has its own log, under a header line), each at most `limitBytes`. Falls back to the
   * log read just before a stop deleted the pods; empty when there is neither.
   */
  async readLogs(externalId: string, options: { limitBytes?: number } = {}): Promise<string> {
    const ref = parseExternalId(externalId);
    if (!ref) return '';
    const api = await this.api();
    const pods = sortByCreation(await api.listPods(ref.namespace, `${ATTEMPT_NAME_LABEL}=${ref.name}`));
    const limitBytes = options.limitBytes ?? this.o.logLimitBytes ?? 16 * 1024 * 1024;
    const parts: string[] = [];
    for (const pod of pods) {
      const name = pod.metadata?.name;
      if (!name) continue;
      const text = await api.readPodLog({ namespace: ref.namespace, name }, TRAINER_CONTAINER, { limitBytes }).catch(() => '');
      parts.push(pods.length > 1 ? `==> pod ${name} <==\n${text}` : text);
    }
    const live = parts.join(parts.length > 1 ? '\n' : '');
    return live || this.savedLogs.get(externalId) || '';
  }

  /** Writes the attempt's log to `file` (the platform then stores it with the run). */
  async collectLogs(externalId: string, file: string): Promise<void> {
    const text = await this.readLogs(externalId);
    this.savedLogs.delete(externalId);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }

  /** Stops following every attempt without reporting outcomes (platform shutdown); the Jobs keep running. */
  close(): void {
    for (const tracker of this.trackers.values()) tracker.dispose();
    this.trackers.clear();
  }

  /** Attempts followed now. */
  get running(): number {
    return this.trackers.size;
  }

  private api(): Promise<KubeApi> {
    if (!this.connection) {
      const connect = this.o.connect ?? connectKubernetes;
      this.connection = connect({ kubeconfigPath: this.o.kubeconfigPath, context: this.o.context, inCluster: this.o.inCluster });
      // a failed connection is retried by the next call, not cached
      this.connection.catch(() => (this.connection = undefined));
    }
    return this.connection;
  }

  private async saveLogBeforeStop(externalId: string): Promise<void> {
    const text = await this.readLogs(externalId);
    if (!text) return;
    this.savedLogs.set(externalId, text);
    // not collected within the hour (the platform died): let it go
    setTimeout(() => this.savedLogs.delete(externalId), 3_600_000).unref();
  }
}

/** `<namespace>/<name>`, or null when the id is not one of ours. */
export function parseExternalId(externalId: string): ObjectRef | null {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(externalId);
  return match ? { namespace: match[1]!, name: match[3]! } : null;
}

function sortByCreation(pods: ObservedPod[]): ObservedPod[] {
  const time = (p: ObservedPod) => (p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0);
  return [...pods].sort((a, b) => time(a) - time(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
