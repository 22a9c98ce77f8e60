import { Type, type Static } from '@sinclair/typebox';
import { CLASSIFICATIONS } from '../../security/policy/index.js';
import { contractFields, StreamSettings } from '../../data/expectations.schema.js';

/**
 * The declarative object model, one YAML document per object with a `kind:`.
 * Anchors: Feast's Entity / DataSource / FeatureView / FeatureService, and Tecton's
 * declarative time-window aggregations.
 */
const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'lower snake case' });
const Column = Type.String({ minLength: 1, maxLength: 128 });
const Duration = Type.String({ pattern: '^(0|[0-9]+(s|m|h|d|w))$', description: 'e.g. 1h, 1d, 7d, 30d; 0 = unbounded' });
const Tags = Type.Record(Type.String(), Type.String());
const Classification = Type.Union(CLASSIFICATIONS.map((c) => Type.Literal(c)));
const common = {
  name: Name,
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  owner: Type.Optional(Type.String({ maxLength: 200 })),
  tags: Type.Optional(Tags),
};

export const VALUE_TYPES = ['int32', 'int64', 'float32', 'float64', 'string', 'bool', 'timestamp'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
const ValueTypeSchema = Type.Union(VALUE_TYPES.map((t) => Type.Literal(t)));

export const AGGREGATIONS = ['count', 'sum', 'mean', 'min', 'max', 'stddev', 'last'] as const;
export type AggregationFunction = (typeof AGGREGATIONS)[number];

export const EntitySpec = Type.Object(
  {
    kind: Type.Literal('Entity'),
    ...common,
    joinKeys: Type.Array(Name, { minItems: 1, maxItems: 8, description: 'the key columns that identify one entity' }),
    valueType: Type.Optional(ValueTypeSchema),
  },
  { additionalProperties: false },
);

export const BatchSourceSpec = Type.Object(
  {
    kind: Type.Literal('BatchSource'),
    ...common,
    path: Type.String({ minLength: 1, description: 'a file, a glob or a directory of Parquet / CSV / JSON-lines files' }),
    format: Type.Optional(Type.Union([Type.Literal('parquet'), Type.Literal('csv'), Type.Literal('jsonl')])),
    timestampField: Column,
    createdTimestampField: Type.Optional(Column),
    classification: Classification,
  },
  { additionalProperties: false },
);

/** What push and stream sources share: their rows' timestamps, classification and data contract. */
const rowSourceFields = {
  timestampField: Column,
  createdTimestampField: Type.Optional(Column),
  classification: Classification,
  ...contractFields,
};

export const PushSourceSpec = Type.Object(
  {
    kind: Type.Literal('PushSource'),
    ...common,
    schema: Type.Record(Column, ValueTypeSchema, { description: 'column → type of every pushed row' }),
    ...rowSourceFields,
  },
  { additionalProperties: false },
);

/** A PushSource fed by a broker: NATS JetStream, Kafka or Redis Streams (JSON messages). */
export const StreamSourceSpec = Type.Object(
  {
    kind: Type.Literal('StreamSource'),
    ...common,
    schema: Type.Record(Column, ValueTypeSchema, { description: 'column → type of every message field' }),
    ...rowSourceFields,
    stream: StreamSettings,
  },
  { additionalProperties: false },
);

const EntityRef = Type.Union([
  Name,
  Type.Object(
    {
      name: Name,
      /** join key → source column, when the source names it differently */
      columns: Type.Optional(Type.Record(Name, Column, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
]);

export const FeatureSpec = Type.Object(
  {
    name: Name,
    type: ValueTypeSchema,
    /** a plain feature: this source column (default: the feature's name) */
    column: Type.Optional(Column),
    /** a time-window aggregation of a column over `(t - window, t]` */
    aggregation: Type.Optional(
      Type.Object(
        {
          function: Type.Union(AGGREGATIONS.map((a) => Type.Literal(a))),
          column: Column,
          window: Type.String({ pattern: '^[0-9]+(s|m|h|d|w)$' }),
        },
        { additionalProperties: false },
      ),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const FeatureViewSpec = Type.Object(
  {
    kind: Type.Literal('FeatureView'),
    ...common,
    entities: Type.Array(EntityRef, { minItems: 1, maxItems: 8 }),
    source: Name,
    features: Type.Array(FeatureSpec, { minItems: 1, maxItems: 1000 }),
    ttl: Type.Optional(Type.Union([Duration, Type.Literal(0)], { description: 'e.g. 1d, 30d; 0 = unbounded' })),
    online: Type.Optional(Type.Boolean()),
    classification: Classification,
  },
  { additionalProperties: false },
);

export const FeatureServiceSpec = Type.Object(
  {
    kind: Type.Literal('FeatureService'),
    ...common,
    features: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]*:([a-z][a-z0-9_]*|\\*)$', description: 'view:feature or view:*' }), { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const ObjectSpec = Type.Union([EntitySpec, BatchSourceSpec, PushSourceSpec, StreamSourceSpec, FeatureViewSpec, FeatureServiceSpec]);

export type EntitySpec = Static<typeof EntitySpec>;
export type BatchSourceSpec = Static<typeof BatchSourceSpec>;
export type PushSourceSpec = Static<typeof PushSourceSpec>;
export type StreamSourceSpec = Static<typeof StreamSourceSpec>;
export type FeatureSpec = Static<typeof FeatureSpec>;
export type FeatureViewSpec = Static<typeof FeatureViewSpec>;
export type FeatureServiceSpec = Static<typeof FeatureServiceSpec>;
export type ObjectSpec = Static<typeof ObjectSpec>;
export type ObjectKind = ObjectSpec['kind'];
export const OBJECT_KINDS: ObjectKind[] = ['Entity', 'BatchSource', 'PushSource', 'StreamSource', 'FeatureView', 'FeatureService'];
