import { Type, type Static } from '@sinclair/typebox';

/**
 * The training objects, one YAML document (or HTTP body) each, with a `kind:`.
 * Anchors: Kueue's ResourceFlavor / ClusterQueue (pools, flavors, quotas, cohorts), the
 * Kubeflow Training Operator and Kubernetes Jobs (restart policy, grace period, GPUs).
 */
const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'lower case, digits and dashes' });
const Duration = Type.String({ pattern: '^(0|[0-9]+(ms|s|m|h|d|w))$', description: 'e.g. 30s, 10m, 2h' });
/** CPU as cores (`2`, `0.5`) or millicores (`500m`) */
const Cpu = Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?m?$' })]);
/** memory as MiB (a number) or a quantity (`512Mi`, `4Gi`, `1Ti`, `8G`) */
const Memory = Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$' })]);
const Gpus = Type.Integer({ minimum: 0, maximum: 64 });
const GpuModel = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$', description: 'e.g. A100, T4, H100' });
const Tags = Type.Record(Type.String({ maxLength: 250 }), Type.String({ maxLength: 5000 }));

export const ResourceAmount = Type.Object(
  { cpu: Type.Optional(Cpu), memory: Type.Optional(Memory), gpus: Type.Optional(Gpus) },
  { additionalProperties: false },
);
export type ResourceAmountSpec = Static<typeof ResourceAmount>;

const NodeSpec = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 253 }), cpu: Cpu, memory: Memory, gpus: Type.Optional(Gpus) },
  { additionalProperties: false },
);

export const ComputePoolSpec = Type.Object(
  {
    kind: Type.Literal('ComputePool'),
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    executor: Type.Union([Type.Literal('local'), Type.Literal('kubernetes')]),
    flavor: Type.Object(
      {
        /** the flavor's name, referenced by queue quotas; default `<gpuModel|cpu>-<capacity>`, lower case */
        name: Type.Optional(Name),
        gpuModel: Type.Optional(Type.Union([GpuModel, Type.Null()])),
        capacity: Type.Optional(Type.Union([Type.Literal('on-demand'), Type.Literal('spot')])),
      },
      { additionalProperties: false },
    ),
    /** the pool's total capacity; with `nodes`, the sum of the nodes */
    capacity: Type.Object({ cpu: Cpu, memory: Memory, gpus: Type.Optional(Gpus) }, { additionalProperties: false }),
    /** the machines, when known (a job's GPUs must fit on one); default one node of the whole capacity */
    nodes: Type.Optional(Type.Array(NodeSpec, { minItems: 1, maxItems: 10_000 })),
    costPerHour: Type.Optional(Type.Number({ minimum: 0 })),
    /** Kubernetes only: namespace, node selector, tolerations, image, … (see docs/kubernetes-executor.md) */
    kubernetes: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type ComputePoolSpec = Static<typeof ComputePoolSpec>;

export const QueueSpec = Type.Object(
  {
    kind: Type.Literal('Queue'),
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** queues in one cohort lend each other their unused nominal quota */
    cohort: Type.Optional(Name),
    /** tried in this order: spot first, then on-demand, is a configuration */
    flavors: Type.Array(
      Type.Object(
        { flavor: Name, nominal: ResourceAmount, borrowingLimit: Type.Optional(ResourceAmount) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
    /** named priorities a job may use instead of a number */
    priorityClasses: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' }), Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }), { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type QueueSpec = Static<typeof QueueSpec>;

export const TrainingJobSpec = Type.Object(
  {
    kind: Type.Literal('TrainingJob'),
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    queue: Type.Optional(Name),
    /** argv of any program; exactly one of `command` and `trainer` */
    command: Type.Optional(Type.Array(Type.String({ maxLength: 10_000 }), { minItems: 1, maxItems: 1_000 })),
    /** the built-in trainer (`type: tabular`, see docs/built-in-trainer.md) */
    trainer: Type.Optional(Type.Object({ type: Type.Literal('tabular') }, { additionalProperties: true })),
    /** container image (Kubernetes pools) */
    image: Type.Optional(Type.String({ maxLength: 500 })),
    /** working directory of a local job (default: the attempt's directory) */
    workingDir: Type.Optional(Type.String({ maxLength: 4096 })),
    // additionalProperties: false, or TypeBox lets through keys that miss the pattern
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ maxLength: 32_768 }), { additionalProperties: false })),
    resources: Type.Optional(
      Type.Object(
        {
          cpu: Type.Optional(Cpu),
          memory: Type.Optional(Memory),
          gpus: Type.Optional(Gpus),
          gpuModel: Type.Optional(GpuModel),
          /** share of each GPU in thousandths (GPU sharing), default 1000 */
          gpuShare: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** `auto`: a GPU if one frees up within `gpuWaitLimit`, else CPU */
    tier: Type.Optional(Type.Union([Type.Literal('gpu'), Type.Literal('cpu'), Type.Literal('auto')])),
    gpuWaitLimit: Type.Optional(Duration),
    capacity: Type.Optional(Type.Union([Type.Literal('on-demand'), Type.Literal('spot'), Type.Literal('any')])),
    /** a number, or a priority class of the queue */
    priority: Type.Optional(Type.Union([Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 }), Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })])),
    /** failed attempts retried (preempted and lost attempts do not count) */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    backoff: Type.Optional(Type.Object({ initial: Type.Optional(Duration), max: Type.Optional(Duration) }, { additionalProperties: false })),
    /** per attempt; 0 = none */
    timeout: Type.Optional(Duration),
    /** between SIGTERM and SIGKILL */
    gracePeriod: Type.Optional(Duration),
    /** save FALAJ_CHECKPOINT_DIR after each attempt and restore it into the next (default true) */
    checkpoint: Type.Optional(Type.Boolean()),
    inputs: Type.Optional(
      Type.Object(
        {
          trainingData: Type.Optional(
            Type.Object(
              {
                featureService: Type.String({ minLength: 1, maxLength: 200 }),
                /** a Parquet or CSV spine on the server (entity keys, event_timestamp, labels) */
                spine: Type.String({ minLength: 1, maxLength: 4096 }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    outputs: Type.Optional(
      Type.Object(
        {
          registerModel: Type.Optional(
            Type.Object(
              {
                name: Type.String({ minLength: 1, maxLength: 250 }),
                /** file or directory under FALAJ_OUTPUT_DIR (default `model.onnx`) */
                path: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
                description: Type.Optional(Type.String({ maxLength: 5000 })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** the tracking experiment of the job's run (default: the job's name) */
    experiment: Type.Optional(Type.String({ minLength: 1, maxLength: 250 })),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type TrainingJobSpec = Static<typeof TrainingJobSpec>;
