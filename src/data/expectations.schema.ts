import { Type } from '@sinclair/typebox';

/**
 * The YAML form of a source's data contract (see `src/data/contracts.ts`): required
 * columns, allowed values and expectations, declared on a PushSource or StreamSource.
 */
const Column = Type.String({ minLength: 1, maxLength: 128 });
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
const Action = Type.Optional(Type.Union([Type.Literal('warn'), Type.Literal('quarantine'), Type.Literal('reject')], { description: 'warn, quarantine the failing rows, or reject the whole batch' }));
const Duration = Type.String({ pattern: '^[0-9]+(s|m|h|d|w)$' });
const rule = <T extends Record<string, ReturnType<typeof Type.String> | ReturnType<typeof Type.Optional> | ReturnType<typeof Type.Number> | ReturnType<typeof Type.Array>>>(name: string, fields: T) =>
  Type.Object({ expect: Type.Literal(name), ...fields, onFailure: Action }, { additionalProperties: false });

export const ExpectationSpec = Type.Union([
  rule('not_null', { column: Column }),
  rule('unique', { columns: Type.Array(Column, { minItems: 1, maxItems: 16 }) }),
  rule('between', { column: Column, min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }),
  rule('in_set', { column: Column, values: Type.Array(Scalar, { minItems: 1, maxItems: 10_000 }) }),
  rule('regex', { column: Column, pattern: Type.String({ minLength: 1, maxLength: 1000 }) }),
  rule('max_null_fraction', { column: Column, max: Type.Number({ minimum: 0, maximum: 1 }) }),
  rule('row_count_between', { min: Type.Optional(Type.Integer({ minimum: 0 })), max: Type.Optional(Type.Integer({ minimum: 0 })) }),
  rule('freshness', { maxAge: Duration }),
  rule('mean_shift', { column: Column, maxRelative: Type.Number({ exclusiveMinimum: 0 }) }),
  rule('quantile_shift', { column: Column, quantile: Type.Number({ minimum: 0, maximum: 1 }), maxRelative: Type.Number({ exclusiveMinimum: 0 }) }),
]);

/** The data-contract fields a PushSource or StreamSource may carry. */
export const contractFields = {
  /** columns that must be present and non-null (the timestamp always is) */
  required: Type.Optional(Type.Array(Column, { maxItems: 1000 })),
  /** column → the only values it may take */
  allowedValues: Type.Optional(Type.Record(Column, Type.Array(Scalar, { minItems: 1, maxItems: 10_000 }))),
  expectations: Type.Optional(Type.Array(ExpectationSpec, { maxItems: 200 })),
};

/** Where a StreamSource's messages come from: a broker named in config (`streams.brokers`) and a subject or topic. */
export const StreamSettings = Type.Object(
  {
    /** a broker from config `streams.brokers` (credentials stay in config, never in definitions) */
    broker: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,62}$', default: 'default' })),
    /** NATS subject, Kafka topic or Redis stream key */
    subject: Type.String({ minLength: 1, maxLength: 256 }),
    /** the consumer group replicas share (default `falaj-<project>-<source>`) */
    group: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$' })),
    /** partial aggregates kept per tile of this size for windowed features (must divide every window) */
    tile: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
