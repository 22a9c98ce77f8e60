import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from '../../../core/errors/index.js';

/**
 * The Kubernetes part of a ComputePool spec (its `kubernetes:` mapping): where and how
 * the pool's attempts run as `batch/v1` Jobs. Every field is explained, with the reason
 * for its default, in docs/kubernetes-executor.md.
 */
const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, description: 'DNS-1123 label' });
const DnsSubdomain = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
  description: 'DNS-1123 subdomain',
});
/** `[prefix/]name` as in label keys, taint keys and extended resource names */
const QualifiedName = Type.String({
  pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
  maxLength: 317,
});
const LabelValue = Type.String({ pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$', maxLength: 63 });
// additionalProperties: false, or TypeBox's record lets a key that misses the pattern through
const Labels = () => Type.Record(QualifiedName, LabelValue, { additionalProperties: false, default: {} });

export const TolerationSchema = Type.Object(
  {
    /** empty with operator `Exists`: tolerate every taint */
    key: Type.Optional(QualifiedName),
    operator: Type.Optional(Type.Union([Type.Literal('Equal'), Type.Literal('Exists')])),
    value: Type.Optional(LabelValue),
    effect: Type.Optional(Type.Union([Type.Literal('NoSchedule'), Type.Literal('PreferNoSchedule'), Type.Literal('NoExecute')])),
    /** only with effect `NoExecute`: how long the pod stays bound after the taint appears */
    tolerationSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Toleration = Static<typeof TolerationSchema>;

export const KubernetesPoolSchema = Type.Object(
  {
    namespace: Type.String({ ...DnsLabel, default: 'falaj-jobs' }),
    /** the image when the job names none */
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    nodeSelector: Labels(),
    tolerations: Type.Array(TolerationSchema, { maxItems: 64, default: [] }),
    /** added to `nodeSelector` / `tolerations` when the pool's flavor is a spot flavor */
    spot: Type.Object(
      {
        nodeSelector: Labels(),
        tolerations: Type.Array(TolerationSchema, { maxItems: 64, default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    serviceAccountName: Type.Optional(DnsSubdomain),
    imagePullSecrets: Type.Optional(Type.Array(DnsSubdomain, { maxItems: 16 })),
    priorityClassName: Type.Optional(DnsSubdomain),
    /**
     * A PersistentVolumeClaim (ReadWriteMany when the pool has more than one node) holding
     * checkpoints under `<project>/<job id>/`, so they outlive a pod. Without it the
     * checkpoint directory is an emptyDir and is lost with the pod.
     */
    checkpointVolumeClaim: Type.Optional(DnsSubdomain),
    /** the extended resource GPUs are requested as; `nvidia.com/mig-1g.10gb` for a MIG slice */
    gpuResourceName: Type.String({ ...QualifiedName, default: 'nvidia.com/gpu' }),
    /** how long a finished Job (and its pods, for their logs) is kept before Kubernetes deletes it */
    ttlSecondsAfterFinished: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 3600 }),
    /**
     * `job-timeout`: `activeDeadlineSeconds` = the job's timeout + `activeDeadlineSlackSeconds`,
     * a backstop that holds while the platform is down; `none`: the platform's own timer only.
     */
    activeDeadline: Type.Union([Type.Literal('job-timeout'), Type.Literal('none')], { default: 'job-timeout' }),
    /** lets the platform's timer (which saves the log before stopping) act before Kubernetes' deadline */
    activeDeadlineSlackSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
    /**
     * What a disruption (spot reclaim, eviction, preemption, node shutdown) does to the attempt:
     * `replace-pod`: Kubernetes starts a new pod in the same Job, which resumes from the
     * checkpoint volume; `end-attempt`: the Job fails and Falaj reports the attempt as
     * preempted and schedules a new one.
     */
    disruption: Type.Union([Type.Literal('replace-pod'), Type.Literal('end-attempt')], { default: 'replace-pod' }),
    /** size of the memory-backed `/dev/shm` (PyTorch DataLoader workers need more than the runtime's 64 MiB); 0 = none */
    sharedMemoryMiB: Type.Integer({ minimum: 0, maximum: 1_048_576, default: 1024 }),
    runAsUser: Type.Integer({ minimum: 1, default: 1000 }),
    runAsGroup: Type.Integer({ minimum: 0, default: 1000 }),
    /** group that owns mounted volumes, so a non-root trainer can write its checkpoints */
    fsGroup: Type.Integer({ minimum: 0, default: 1000 }),
    /** a Kueue LocalQueue: when set, Kueue also gates the Job's start (see the docs) */
    kueueQueueName: Type.Optional(DnsSubdomain),
    podLabels: Labels(),
    podAnnotations: Type.Record(QualifiedName, Type.String(), { additionalProperties: false, default: {} }),
  },
  { additionalProperties: false },
);

/** A compute pool's Kubernetes options, with every default filled in. */
export type KubernetesPoolOptions = Static<typeof KubernetesPoolSchema>;

/**
 * Fills the defaults of a pool's `kubernetes:` mapping and validates it, including the
 * rules the API server would otherwise only enforce when the first Job is created.
 * Throws a {@link ConfigError} (`FALAJ_KUBERNETES_POOL_INVALID`) naming the bad key.
 *
 * @example
 * const options = resolveKubernetesPoolOptions({ image: 'ghcr.io/acme/trainer:1.4', checkpointVolumeClaim: 'checkpoints' });
 */
export function resolveKubernetesPoolOptions(raw: unknown, where = 'kubernetes'): KubernetesPoolOptions {
  const withDefaults = Value.Default(KubernetesPoolSchema, structuredClone(raw ?? {}));
  const first = Value.Errors(KubernetesPoolSchema, withDefaults).First();
  if (first) {
    const path = first.path.replace(/^\//, '').replace(/\//g, '.');
    throw invalid(`${where}${path ? `.${path}` : ''}: ${first.message}`, where);
  }
  const options = withDefaults as KubernetesPoolOptions;
  const all: [string, Toleration[]][] = [
    ['tolerations', options.tolerations],
    ['spot.tolerations', options.spot.tolerations],
  ];
  for (const [key, list] of all) {
    list.forEach((t, i) => {
      // the API server's own rules for a toleration (core/v1 validation)
      if (t.operator === 'Exists' && t.value) throw invalid(`${where}.${key}.${i}.value must be empty when operator is Exists`, where);
      if (!t.key && t.operator !== 'Exists') throw invalid(`${where}.${key}.${i}: a toleration without a key must use operator Exists`, where);
      if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
        throw invalid(`${where}.${key}.${i}.tolerationSeconds needs effect NoExecute`, where);
      }
    });
  }
  return options;
}

function invalid(message: string, where: string): ConfigError {
  return new ConfigError('FALAJ_KUBERNETES_POOL_INVALID', `${message} (see docs/kubernetes-executor.md)`, { details: { key: where } });
}
