import { Type, type Static } from '@sinclair/typebox';

const Scalar = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean(), Type.Null()]);
const Row = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Scalar, { maxProperties: 1024 });
const Rows = Type.Union([Row, Type.Array(Row, { minItems: 1, maxItems: 1000 })]);

/** `POST …/deployments/{d}/predict`: entity keys (one object or a list), and request-time features. */
export const PredictRequest = Type.Object(
  {
    entities: Rows,
    /** values the online store does not hold (request-time features); one object for every row, or one per row */
    features: Type.Optional(Rows),
  },
  { additionalProperties: false },
);
export type PredictRequest = Static<typeof PredictRequest>;

export const PredictResponse = Type.Object({
  predictionId: Type.String(),
  deployment: Type.String(),
  variant: Type.String(),
  model: Type.String(),
  modelVersion: Type.Integer(),
  /** one per entity row: every model output by name */
  predictions: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  latencyMs: Type.Number(),
});
export type PredictResponse = Static<typeof PredictResponse>;
