import type { V1Job, V1Secret } from '@kubernetes/client-node';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { ConfigError, InputError, UnavailableError, type FalajError } from '../../../core/errors/index.js';
import type { ObservedJob, ObservedPod } from './job-status.js';

/** A namespaced object's address. */
export interface ObjectRef {
  namespace: string;
  name: string;
}

export interface WatchHandle {
  stop(): void;
}

/**
 * The few Kubernetes API calls the executor makes, so that its sequencing (create,
 * watch, poll, stop, clean up) does not depend on the client library's shapes. The one
 * real implementation is {@link connectKubernetes}, over `@kubernetes/client-node`.
 * Reads return null / false for a 404; every other failure is a {@link FalajError}.
 */
export interface KubeApi {
  createSecret(secret: ISecret): Promise<void>;
  /** makes the Job the Secret's owner, so the garbage collector deletes the Secret with it */
  setSecretOwner(secret: ObjectRef, job: { name: string; uid: string }): Promise<void>;
  deleteSecret(secret: ObjectRef): Promise<void>;
  createJob(job: IJob): Promise<{ uid: string }>;
  readJob(job: ObjectRef): Promise<ObservedJob | null>;
  /** false when there was no such Job */
  deleteJob(job: ObjectRef, options: { gracePeriodSeconds?: number | undefined; propagationPolicy: 'Foreground' | 'Background' }): Promise<boolean>;
  listPods(namespace: string, labelSelector: string): Promise<ObservedPod[]>;
  readPodLog(pod: ObjectRef, container: string, options: { limitBytes?: number | undefined; tailLines?: number | undefined }): Promise<string>;
  /**
   * Watches the Jobs matching `labelSelector`. Starts with an ADDED event per existing
   * Job; `onClosed` is called once when the stream ends (null: closed normally, e.g. the
   * server's `timeoutSeconds`).
   */
  watchJobs(namespace: string, labelSelector: string, onEvent: (type: string, job: ObservedJob) => void, onClosed: (err: unknown) => void): Promise<WatchHandle>;
}

export interface KubeConnection {
  /** a kubeconfig file */
  kubeconfigPath?: string | undefined;
  /** a context of that file; default its current context */
  context?: string | undefined;
  /** use the pod's service account (Falaj running inside the cluster) */
  inCluster?: boolean | undefined;
}

/** Server-side end of each watch, so that a connection that died quietly is replaced. */
const WATCH_TIMEOUT_SECONDS = 300;

/**
 * Loads `@kubernetes/client-node` (only now: it is large, and most installations never
 * need it) and returns the API over the configured cluster.
 */
export async function connectKubernetes(connection: KubeConnection): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    if (connection.kubeconfigPath) kc.loadFromFile(connection.kubeconfigPath);
    else if (connection.inCluster) kc.loadFromCluster();
    else throw new Error('neither a kubeconfig nor in-cluster configuration was given');
  } catch (cause) {
    throw new ConfigError('FALAJ_KUBERNETES_NOT_CONFIGURED', `cannot load the Kubernetes configuration: ${(cause as Error).message}`, { cause });
  }
  if (connection.context) {
    if (!kc.getContexts().some((c) => c.name === connection.context)) {
      throw new ConfigError('FALAJ_KUBERNETES_NOT_CONFIGURED', `kubeconfig ${connection.kubeconfigPath ?? '(in-cluster)'} has no context ${connection.context}`);
    }
    kc.setCurrentContext(connection.context);
  }
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const watcher = new k8s.Watch(kc);

  // The generated client serialises through its own models; ours are the same JSON
  // shapes (checked by the tests with its serializer), typed by kubernetes-models.
  return {
    async createSecret(secret) {
      await call('create Secret', () => core.createNamespacedSecret({ namespace: secret.metadata!.namespace!, body: secret as unknown as V1Secret }));
    },
    async setSecretOwner(secret, job) {
      // JSON Patch is the client's default patch content type
      const body = [{ op: 'add', path: '/metadata/ownerReferences', value: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.name, uid: job.uid }] }];
      await call('set the owner of Secret', () => core.patchNamespacedSecret({ ...secret, body }));
    },
    async deleteSecret(secret) {
      await call('delete Secret', () => core.deleteNamespacedSecret(secret), { notFound: undefined });
    },
    async createJob(job) {
      const created = await call('create Job', () => batch.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job as unknown as V1Job }));
      return { uid: created.metadata?.uid ?? '' };
    },
    async readJob(job) {
      return call('read Job', () => batch.readNamespacedJob(job) as Promise<ObservedJob>, { notFound: null });
    },
    async deleteJob(job, options) {
      const found = await call('delete Job', async () => (await batch.deleteNamespacedJob({ ...job, ...options }), true), { notFound: false });
      return found;
    },
    async listPods(namespace, labelSelector) {
      const list = await call('list pods', () => core.listNamespacedPod({ namespace, labelSelector }));
      return list.items as ObservedPod[];
    },
    async readPodLog(pod, container, options) {
      return call('read pod log', () => core.readNamespacedPodLog({ ...pod, container, ...options }));
    },
    async watchJobs(namespace, labelSelector, onEvent, onClosed) {
      const path = `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
      const controller = await watcher.watch(path, { labelSelector, timeoutSeconds: WATCH_TIMEOUT_SECONDS }, (type, obj) => onEvent(type, obj as ObservedJob), onClosed);
      return { stop: () => controller.abort() };
    },
  };
}

/**
 * Runs one API call, turning a 404 into `notFound` when one is given and any other
 * failure into a Falaj error that says what to check.
 */
async function call<T, N = never>(action: string, run: () => Promise<T>, options?: { notFound: N }): Promise<T | N> {
  try {
    return await run();
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 && options && 'notFound' in options) return options.notFound;
    throw kubernetesError(action, err);
  }
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A Falaj error for a failed API call: the status, the API server's own message, and a hint. */
export function kubernetesError(action: string, err: unknown): FalajError {
  const status = statusOf(err);
  const serverMessage = messageOf((err as { body?: unknown })?.body) ?? (err as Error)?.message ?? String(err);
  const hint =
    status === 401 || status === 403
      ? ' (check the RBAC Role of Falaj’s service account: docs/kubernetes-executor.md#rbac)'
      : status === 409
        ? ' (an object of that name exists: an attempt started twice?)'
        : '';
  const message = `Kubernetes API: ${action} failed${status ? ` (HTTP ${status})` : ''}: ${serverMessage}${hint}`;
  // 400 / 422: the API server refused what we sent, which retrying will not change
  if (status === 400 || status === 422) return new InputError('FALAJ_KUBERNETES_MANIFEST_INVALID', message, { cause: err, details: { status } });
  return new UnavailableError('FALAJ_KUBERNETES_API_FAILED', message, { cause: err, details: { status } });
}

/** The `message` of a Kubernetes `Status` body, which the client hands over as an object or a JSON string. */
function messageOf(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 500) || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}
