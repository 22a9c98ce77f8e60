import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IToleration } from 'kubernetes-models/v1/Toleration';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { InputError } from '../../../core/errors/index.js';
import type { AttemptLaunch } from '../../contracts.js';
import type { KubernetesPoolOptions } from './kubernetes-pool.js';
import { attemptName, labelValue, pathSegment } from './names.js';

// The model types above are imported as types only: they make the compiler refuse a
// misspelt or misplaced field here (excess-property checks), at no run-time cost.

/** The one container of an attempt's pod. */
export const TRAINER_CONTAINER = 'trainer';
/** Selects an attempt's Job and its pods. */
export const ATTEMPT_NAME_LABEL = 'falaj.dev/attempt-name';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/**
 * Variables whose values must not be written into the Job: they go into the attempt's
 * Secret and the pod reads them with `valueFrom.secretKeyRef`. `FALAJ_TOKEN` always;
 * also anything named like a credential (`MLFLOW_TRACKING_TOKEN`, `HF_TOKEN`,
 * `AWS_SECRET_ACCESS_KEY`, `DB_PASSWORD`, …), since a Job is readable by anyone who may
 * list Jobs in the namespace and is printed by `falaj jobs render`.
 */
export function isSecretEnvName(name: string): boolean {
  return name === 'FALAJ_TOKEN' || /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$/i.test(name);
}

/** Variables the pod does not get: on Kubernetes the NVIDIA device plugin decides which GPUs a container sees. */
const DROPPED_ENV = new Set(['CUDA_VISIBLE_DEVICES']);

/** The labels on an attempt's Job, Secret and pods. */
export function attemptLabels(launch: AttemptLaunch): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: 'falaj',
    'app.kubernetes.io/component': 'training',
    [ATTEMPT_NAME_LABEL]: attemptName(launch.jobName, launch.jobId, launch.attempt),
    'falaj.dev/attempt': String(launch.attempt),
    'falaj.dev/job-id': labelValue(launch.jobId),
    'falaj.dev/pool': labelValue(launch.pool.name),
    'falaj.dev/project': labelValue(launch.project),
  };
}

/**
 * One attempt as a `batch/v1` Job: one pod that runs `launch.command` once
 * (`backoffLimit: 0`, `restartPolicy: Never`: Falaj owns retries across attempts), with
 * requests = limits from the admission, the pool's placement, the checkpoint and output
 * volumes, secrets by reference only, and a hardened security context. Deterministic:
 * the same launch and options give the same manifest, key for key.
 *
 * Throws an {@link InputError} (`FALAJ_KUBERNETES_MANIFEST_INVALID`) when the attempt
 * has no image or command, or its directories are not absolute paths.
 *
 * @example
 * const job = renderJobManifest(launch, resolveKubernetesPoolOptions(pool.kubernetes));
 * await batch.createNamespacedJob({ namespace: job.metadata!.namespace!, body: job });
 */
export function renderJobManifest(launch: AttemptLaunch, options: KubernetesPoolOptions): IJob {
  const name = attemptName(launch.jobName, launch.jobId, launch.attempt);
  const image = launch.image ?? options.image;
  if (!image) throw invalid(launch, `job ${launch.jobName} has no image: set image in the job spec, or kubernetes.image in compute pool ${launch.pool.name}`);
  if (launch.command.length === 0) throw invalid(launch, `job ${launch.jobName} has an empty command`);
  for (const dir of [launch.checkpointDir, launch.outputDir]) {
    if (!dir.startsWith('/') || dir.split('/').includes('..')) throw invalid(launch, `${dir} must be an absolute path inside the container, without ..`);
  }
  const labels = attemptLabels(launch);
  const gpus = launch.admission.gpuIndices.length;
  const spot = launch.pool.flavor.capacity === 'spot';
  const { volumes, mounts } = renderVolumes(launch, options);

  const amounts: Record<string, string> = { cpu: `${launch.admission.cpuMilli}m`, memory: `${launch.admission.memoryMiB}Mi` };
  // a fractional share (gpuMilli < 1000) still takes whole devices: the device plugin has no fractions
  if (gpus > 0) amounts[options.gpuResourceName] = String(gpus);

  const container: IContainer = {
    name: TRAINER_CONTAINER,
    image,
    command: [...launch.command],
    ...(launch.env.FALAJ_WORKING_DIR ? { workingDir: launch.env.FALAJ_WORKING_DIR } : {}),
    env: renderEnv(launch.env, name),
    // requests = limits: the pod is Guaranteed QoS, the last to be evicted under node pressure
    resources: { requests: sortedRecord(amounts), limits: sortedRecord(amounts) },
    volumeMounts: mounts,
    // the tail of the log becomes the termination message when the trainer fails without writing one
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, runAsNonRoot: true },
  };

  const nodeSelector = sortedRecord({ ...options.nodeSelector, ...(spot ? options.spot.nodeSelector : {}) });
  const tolerations = renderTolerations(options, spot, gpus);
  const podSpec: IPodSpec = {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: Math.ceil(Math.max(0, launch.gracePeriodMs) / 1000),
    // the trainer talks to Falaj with its own token, never to the Kubernetes API
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
    ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
    ...(options.imagePullSecrets?.length ? { imagePullSecrets: options.imagePullSecrets.map((s) => ({ name: s })) } : {}),
    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(tolerations.length > 0 ? { tolerations } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: options.runAsUser,
      runAsGroup: options.runAsGroup,
      fsGroup: options.fsGroup,
      // chown a large checkpoint volume only when its root is not ours yet, not on every start
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container],
    volumes,
  };

  const deadlineSeconds = options.activeDeadline === 'job-timeout' && launch.timeoutMs > 0 ? Math.ceil(launch.timeoutMs / 1000) + options.activeDeadlineSlackSeconds : 0;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: options.namespace,
      labels: sortedRecord({ ...labels, ...(options.kueueQueueName ? { 'kueue.x-k8s.io/queue-name': options.kueueQueueName } : {}) }),
      annotations: sortedRecord({
        'falaj.dev/flavor': launch.pool.flavor.name,
        'falaj.dev/job-id': launch.jobId,
        'falaj.dev/job-name': launch.jobName,
        'falaj.dev/project': launch.project,
      }),
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      ...(deadlineSeconds > 0 ? { activeDeadlineSeconds: deadlineSeconds } : {}),
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      // never two pods of one attempt at once (they would write the same checkpoints)
      podReplacementPolicy: 'Failed',
      podFailurePolicy: {
        rules: [
          {
            // DisruptionTarget: the pod is being removed for a reason other than the trainer
            // (spot reclaim, node drain, eviction, preemption, node shutdown)
            action: options.disruption === 'replace-pod' ? 'Ignore' : 'FailJob',
            onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }],
          },
        ],
      },
      template: {
        metadata: {
          labels: sortedRecord({ ...options.podLabels, ...labels }),
          annotations: sortedRecord({
            // autoscalers must not scale a node down under a running attempt
            'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false',
            'karpenter.sh/do-not-disrupt': 'true',
            ...options.podAnnotations,
          }),
        },
        spec: podSpec,
      },
    },
  };
}

/**
 * The Secret holding an attempt's secret variables (see {@link isSecretEnvName}), named
 * like its Job; null when the attempt has none. The executor creates it before the Job
 * and makes the Job its owner, so Kubernetes deletes it with the Job.
 */
export function renderTokenSecret(launch: AttemptLaunch, options: KubernetesPoolOptions): ISecret | null {
  const keys = Object.keys(launch.env).filter((k) => isSecretEnvName(k) && !DROPPED_ENV.has(k)).sort();
  if (keys.length === 0) return null;
  const data: Record<string, string> = {};
  for (const k of keys) data[k] = Buffer.from(launch.env[k]!, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: attemptName(launch.jobName, launch.jobId, launch.attempt), namespace: options.namespace, labels: sortedRecord(attemptLabels(launch)) },
    type: 'Opaque',
    immutable: true,
    data,
  };
}

function renderEnv(env: Record<string, string>, secretName: string): IEnvVar[] {
  return Object.keys(env)
    .filter((k) => !DROPPED_ENV.has(k))
    .sort()
    .map((k) => (isSecretEnvName(k) ? { name: k, valueFrom: { secretKeyRef: { name: secretName, key: k } } } : { name: k, value: env[k]! }));
}

function renderVolumes(launch: AttemptLaunch, options: KubernetesPoolOptions): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const volumes: IVolume[] = [];
  const mounts: IVolumeMount[] = [];
  if (options.checkpointVolumeClaim) {
    // per job, not per attempt: the next attempt (or a replacement pod) resumes from here
    volumes.push({ name: 'checkpoints', persistentVolumeClaim: { claimName: options.checkpointVolumeClaim } });
    mounts.push({ name: 'checkpoints', mountPath: launch.checkpointDir, subPath: `${pathSegment(launch.project)}/${pathSegment(launch.jobId)}` });
  } else {
    volumes.push({ name: 'checkpoints', emptyDir: {} });
    mounts.push({ name: 'checkpoints', mountPath: launch.checkpointDir });
  }
  if (launch.outputDir !== launch.checkpointDir) {
    volumes.push({ name: 'outputs', emptyDir: {} });
    mounts.push({ name: 'outputs', mountPath: launch.outputDir });
  }
  if (options.sharedMemoryMiB > 0) {
    // memory-backed: it counts against the container's memory limit
    volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: `${Math.min(options.sharedMemoryMiB, launch.admission.memoryMiB)}Mi` } });
    mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
  }
  return { volumes, mounts };
}

function renderTolerations(options: KubernetesPoolOptions, spot: boolean, gpus: number): IToleration[] {
  const list: IToleration[] = [...options.tolerations, ...(spot ? options.spot.tolerations : [])].map((t) => ({ ...t }));
  // GPU node pools are commonly tainted with the GPU resource's name (GKE does it by itself)
  if (gpus > 0 && !list.some((t) => t.key === options.gpuResourceName)) {
    list.push({ key: options.gpuResourceName, operator: 'Exists', effect: 'NoSchedule' });
  }
  const seen = new Set<string>();
  return list.filter((t) => {
    const key = JSON.stringify([t.key, t.operator, t.value, t.effect, t.tolerationSeconds]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k]!;
  return out;
}

function invalid(launch: AttemptLaunch, message: string): InputError {
  return new InputError('FALAJ_KUBERNETES_MANIFEST_INVALID', message, { details: { jobId: launch.jobId, attempt: launch.attempt } });
}
