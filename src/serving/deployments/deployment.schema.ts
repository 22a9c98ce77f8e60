import { Type, type Static } from '@sinclair/typebox';

/**
 * A `Deployment`: one YAML document (or HTTP body) naming which model versions answer
 * a prediction endpoint and how traffic is shared between them. Anchors: KServe's
 * InferenceService (`canaryTrafficPercent`), Seldon Core 2's Experiment (weighted
 * candidates, mirrors), Triton's dynamic batching.
 */
const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'lower case, digits and dashes' });
const ModelName = Type.String({ minLength: 1, maxLength: 256, description: 'a registered model' });
const Duration = Type.String({ pattern: '^(0|[0-9]+(ms|s|m|h|d|w))$', description: 'e.g. 30s, 5m, 1h' });

export const DeploymentRoute = Type.Object(
  {
    /** the variant name answers and logs carry (`stable`, `canary`, `a`, `b`, `shadow`) */
    name: Name,
    /** default: the deployment's `model` */
    model: Type.Optional(ModelName),
    /** a version number, or … */
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    /** … an alias, followed when it moves (`champion`) */
    alias: Type.Optional(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,62}$' })),
    /** share of traffic in percent (A/B); set by the rollout in canary mode */
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    /** receives a copy of the traffic; its answers are logged, never returned */
    mirror: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DeploymentRoute = Static<typeof DeploymentRoute>;

export const CanarySpec = Type.Object(
  {
    /** traffic percentages of the canary, in order; the rollout promotes after the last */
    steps: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1, maxItems: 20 })),
    /** how long each step runs before the analysis decides */
    interval: Type.Optional(Duration),
    /** fewest canary predictions in a step before the analysis judges it */
    minRequests: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    /** the canary's error rate may exceed the stable's by at most this much (0.01 = one point) */
    maxErrorRateIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** the canary's p99 latency may be at most this multiple of the stable's */
    maxLatencyRatio: Type.Optional(Type.Number({ minimum: 1, maximum: 100 })),
    /** latencies under this many ms always pass (a 0.4 → 0.7 ms change is not a regression) */
    latencyFloorMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
  },
  { additionalProperties: false },
);
export type CanarySpec = Static<typeof CanarySpec>;

export const BatchingSpec = Type.Object(
  {
    maxBatchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    maxQueueDelayMicros: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

export const DeploymentSpec = Type.Object(
  {
    kind: Type.Literal('Deployment'),
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** the registered model routes use unless they name another */
    model: ModelName,
    /** `single` (one route), `ab` (weighted, sticky), `canary` (stepped rollout of `canary` over `stable`), `shadow` (one route plus mirrors) */
    mode: Type.Optional(Type.Union([Type.Literal('single'), Type.Literal('ab'), Type.Literal('canary'), Type.Literal('shadow')])),
    routes: Type.Array(DeploymentRoute, { minItems: 1, maxItems: 16 }),
    /** the feature service the prediction API looks features up in; default: the one the model version was trained on */
    featureService: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
    /** what keeps a caller on one variant: an entity key's value or a request header */
    sticky: Type.Optional(
      Type.Object({ entity: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,128}$' })) }, { additionalProperties: false }),
    ),
    canary: Type.Optional(CanarySpec),
    /** dynamic batching; `false` runs each request on its own */
    batching: Type.Optional(Type.Union([BatchingSpec, Type.Literal(false)])),
    /** log every prediction to the offline store (default true) */
    logPredictions: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Type.Record(Type.String({ maxLength: 250 }), Type.String({ maxLength: 5000 }))),
  },
  { additionalProperties: false },
);
export type DeploymentSpec = Static<typeof DeploymentSpec>;

export const CANARY_DEFAULTS = { steps: [5, 25, 50, 100], interval: '5m', minRequests: 100, maxErrorRateIncrease: 0.01, maxLatencyRatio: 1.5, latencyFloorMs: 5 } as const;
export const BATCHING_DEFAULTS = { maxBatchSize: 64, maxQueueDelayMicros: 500 } as const;
