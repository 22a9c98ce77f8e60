import { Type, type Static, type TProperties } from '@sinclair/typebox';

/**
 * Request and response shapes of the MLflow REST API 2.0 (`mlflow/protos/service.proto`,
 * `model_registry.proto`, `mlflow_artifacts.proto`), in proto3 JSON with the proto field
 * names (snake_case), as `mlflow.utils.proto_json_utils.message_to_json` writes them.
 *
 * Request objects allow additional properties: clients of newer MLflow versions send
 * fields we do not read (`model_id`, `dataset_digest`, …), and MLflow's server ignores
 * unknown fields too. Only the types of the fields we read are checked.
 */
export const MlflowBody = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: true });

/**
 * An int64. MLflow ≥ 1.x clients send int64 fields as JSON numbers (`_mark_int64_fields`),
 * older ones and hand-written requests as decimal strings (proto3 JSON's canonical form);
 * `ParseDict` takes both, so do we.
 */
export const Int64 = Type.Union([Type.Integer(), Type.String({ pattern: '^-?[0-9]{1,19}$' })], { description: 'int64, as a number or a decimal string' });

/** A double: a number, or proto3 JSON's `"NaN"`, `"Infinity"`, `"-Infinity"` (or a numeric string). */
export const Double = Type.Union([Type.Number(), Type.String({ pattern: '^(NaN|-?Infinity|[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?)$' })]);

export const RunStatusName = Type.Union(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].map((s) => Type.Literal(s)));
export const ViewTypeName = Type.Union(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].map((s) => Type.Literal(s)));
/** Enums arrive by name (`"FINISHED"`) from the Python client, by number from some others. */
export const RunStatusInput = Type.Union([RunStatusName, Type.Integer({ minimum: 1, maximum: 5 })]);
export const ViewTypeInput = Type.Union([ViewTypeName, Type.Integer({ minimum: 1, maximum: 3 })]);

export const KeyValue = Type.Object({ key: Type.String(), value: Type.String() }, { additionalProperties: true });
export type KeyValue = Static<typeof KeyValue>;

export const MetricInput = Type.Object(
  { key: Type.String(), value: Double, timestamp: Int64, step: Type.Optional(Int64) },
  { additionalProperties: true },
);

const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export const runStatusOf = (v: string | number): RunStatus => (typeof v === 'number' ? RUN_STATUSES[v - 1]! : (v as RunStatus));
export const viewTypeOf = (v: string | number | undefined): ViewType => (v === undefined ? 'ACTIVE_ONLY' : typeof v === 'number' ? VIEW_TYPES[v - 1]! : (v as ViewType));
export const int64Of = (v: string | number): number => (typeof v === 'number' ? v : Number(v));
export const doubleOf = (v: string | number): number => (typeof v === 'number' ? v : Number(v));

// ---- responses -----------------------------------------------------------------------

/** Optional int64 in a response: always a JSON number (what current MLflow servers send). */
const Millis = Type.Integer();

export const ExperimentJson = Type.Object({
  experiment_id: Type.String(),
  name: Type.String(),
  artifact_location: Type.String(),
  lifecycle_stage: Type.String(),
  last_update_time: Type.Optional(Millis),
  creation_time: Type.Optional(Millis),
  tags: Type.Optional(Type.Array(KeyValue)),
});
export type ExperimentJson = Static<typeof ExperimentJson>;

/** A non-finite metric value goes out as proto3 JSON's string form. */
const MetricValue = Type.Union([Type.Number(), Type.String()]);
export const MetricJson = Type.Object({ key: Type.String(), value: MetricValue, timestamp: Millis, step: Millis });
export type MetricJson = Static<typeof MetricJson>;

export const RunInfoJson = Type.Object({
  run_id: Type.String(),
  run_uuid: Type.String(),
  run_name: Type.String(),
  experiment_id: Type.String(),
  user_id: Type.String(),
  status: Type.String(),
  start_time: Millis,
  end_time: Type.Optional(Millis),
  artifact_uri: Type.String(),
  lifecycle_stage: Type.String(),
});
export type RunInfoJson = Static<typeof RunInfoJson>;

export const DatasetInputJson = Type.Object({
  tags: Type.Optional(Type.Array(KeyValue)),
  dataset: Type.Object({
    name: Type.String(),
    digest: Type.String(),
    source_type: Type.String(),
    source: Type.String(),
    schema: Type.Optional(Type.String()),
    profile: Type.Optional(Type.String()),
  }),
});
export type DatasetInputJson = Static<typeof DatasetInputJson>;

export const RunJson = Type.Object({
  info: RunInfoJson,
  data: Type.Object({ metrics: Type.Array(MetricJson), params: Type.Array(KeyValue), tags: Type.Array(KeyValue) }),
  inputs: Type.Object({ dataset_inputs: Type.Array(DatasetInputJson) }),
});
export type RunJson = Static<typeof RunJson>;

export const ModelVersionJson = Type.Object({
  name: Type.String(),
  version: Type.String(),
  creation_timestamp: Millis,
  last_updated_timestamp: Millis,
  user_id: Type.Optional(Type.String()),
  current_stage: Type.String(),
  description: Type.Optional(Type.String()),
  source: Type.String(),
  run_id: Type.Optional(Type.String()),
  status: Type.String(),
  status_message: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(KeyValue)),
  run_link: Type.Optional(Type.String()),
  aliases: Type.Optional(Type.Array(Type.String())),
});
export type ModelVersionJson = Static<typeof ModelVersionJson>;

export const RegisteredModelJson = Type.Object({
  name: Type.String(),
  creation_timestamp: Millis,
  last_updated_timestamp: Millis,
  user_id: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  latest_versions: Type.Optional(Type.Array(ModelVersionJson)),
  tags: Type.Optional(Type.Array(KeyValue)),
  aliases: Type.Optional(Type.Array(Type.Object({ alias: Type.String(), version: Type.String() }))),
});
export type RegisteredModelJson = Static<typeof RegisteredModelJson>;

export const FileInfoJson = Type.Object({ path: Type.String(), is_dir: Type.Boolean(), file_size: Type.Optional(Millis) });
export type FileInfoJson = Static<typeof FileInfoJson>;

/** `{}`: the body of MLflow's empty `Response` messages. */
export const EmptyJson = Type.Object({});
