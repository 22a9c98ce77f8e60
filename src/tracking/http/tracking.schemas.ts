import { Type } from '@sinclair/typebox';
import { StrictObject } from '../../core/http/problem.schema.js';
import { ProjectParams } from '../../security/index.js';
import { RUN_STATUSES, VIEW_TYPES } from '../tracking.types.js';

/*
 * Wire schemas of the tracking API. Lengths and batch sizes are left to the service, so
 * that going over one answers FALAJ_LIMIT_EXCEEDED (with the limit) rather than a schema
 * error; the server's body limit bounds what is parsed.
 */

const Key = Type.String({ minLength: 1, description: 'letters, digits, spaces and _ - . / : (≤ 250 characters)' });
const EpochMs = Type.Integer({ description: 'epoch milliseconds' });
export const ExperimentId = Type.String({ pattern: '^exp_[0-9a-z]{26}$' });
export const RunId = Type.String({ pattern: '^[0-9a-f]{32}$', description: '32 lower-case hex digits' });
const StringMap = Type.Record(Type.String(), Type.String());

/** A metric value: a number, or NaN / ±Infinity as strings (JSON has no such numbers). */
export const MetricValue = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')]);

export const ExperimentParams = StrictObject({ project: ProjectParams.properties.project, experiment: ExperimentId });
export const RunParams = StrictObject({ project: ProjectParams.properties.project, run: RunId });

const ViewType = Type.Union(VIEW_TYPES.map((v) => Type.Literal(v)), { default: 'ACTIVE_ONLY' });
const SearchPaging = {
  filter: Type.Optional(Type.String({ maxLength: 20_000, description: "MLflow filter syntax plus or/parentheses, e.g. metrics.auc > 0.8 and params.lr = '0.01'" })),
  orderBy: Type.Optional(Type.Array(Type.String({ maxLength: 1_000 }), { maxItems: 20, description: 'e.g. metrics.auc DESC, attributes.start_time' })),
  maxResults: Type.Optional(Type.Integer({ description: '1 to 50,000; default 1,000' })),
  pageToken: Type.Optional(Type.String({ maxLength: 1_000 })),
  viewType: ViewType,
};

export const ExperimentSchema = Type.Object({
  id: Type.String(),
  mlflowId: Type.String({ description: "MLflow's experiment id (digits)" }),
  project: Type.String(),
  name: Type.String(),
  artifactLocation: Type.String(),
  lifecycleStage: Type.String(),
  tags: StringMap,
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

export const CreateExperimentBody = StrictObject({
  name: Type.String({ minLength: 1 }),
  artifactLocation: Type.Optional(Type.String({ minLength: 1, maxLength: 2_000 })),
  tags: Type.Optional(StringMap),
});
export const RenameExperimentBody = StrictObject({ name: Type.String({ minLength: 1 }) });
export const TagBody = StrictObject({ key: Key, value: Type.String() });
export const TagKeyQuery = StrictObject({ key: Key });
export const ExperimentSearchQuery = StrictObject(SearchPaging);
export const ExperimentByNameQuery = StrictObject({ name: Type.String({ minLength: 1 }) });
export const ExperimentsPage = Type.Object({ experiments: Type.Array(ExperimentSchema), nextPageToken: Type.Optional(Type.String()) });

export const RunInfoSchema = Type.Object({
  id: Type.String(),
  experimentId: Type.String(),
  project: Type.String(),
  name: Type.String(),
  status: Type.String(),
  startTime: Type.Integer(),
  endTime: Type.Union([Type.Integer(), Type.Null()]),
  lifecycleStage: Type.String(),
  user: Type.String(),
  artifactUri: Type.String(),
});

const DatasetInputSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  digest: Type.String({ minLength: 1 }),
  sourceType: Type.String({ minLength: 1, description: 'e.g. local, s3, http, falaj-dataset' }),
  source: Type.String(),
  schema: Type.Optional(Type.String()),
  profile: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'input tags; mlflow.data.context = training | evaluation | …' })),
});

export const RunSchema = Type.Object({
  info: RunInfoSchema,
  data: Type.Object({
    params: StringMap,
    tags: StringMap,
    metrics: Type.Record(Type.String(), Type.Object({ value: MetricValue, step: Type.Integer(), timestamp: Type.Integer() }), { description: 'the latest point of each metric' }),
  }),
  inputs: Type.Array(DatasetInputSchema),
});

export const CreateRunBody = StrictObject({
  experimentId: ExperimentId,
  name: Type.Optional(Type.String({ minLength: 1 })),
  startTime: Type.Optional(EpochMs),
  tags: Type.Optional(StringMap),
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  sourceVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'code version, e.g. a git commit' })),
});

export const UpdateRunBody = StrictObject({
  status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)))),
  endTime: Type.Optional(EpochMs),
  name: Type.Optional(Type.String({ minLength: 1 })),
});

const MetricIn = StrictObject({
  key: Key,
  value: MetricValue,
  step: Type.Integer({ default: 0 }),
  timestamp: Type.Optional(Type.Integer({ description: 'epoch milliseconds; default: when the server receives it' })),
});
export const MetricBody = MetricIn;
export const ParamBody = StrictObject({ key: Key, value: Type.String() });
export const LogBatchBody = StrictObject({
  metrics: Type.Array(MetricIn, { default: [], description: 'at most 1,000' }),
  params: Type.Array(ParamBody, { default: [], description: 'at most 100' }),
  tags: Type.Array(TagBody, { default: [], description: 'at most 100; 1,000 items in all' }),
});
export const LogInputsBody = StrictObject({ datasets: Type.Array(DatasetInputSchema, { maxItems: 1_000 }) });

export const RunSearchBody = StrictObject({
  experimentIds: Type.Optional(Type.Array(ExperimentId, { maxItems: 1_000, description: 'none: every experiment of the project' })),
  ...SearchPaging,
});
export const RunSearchQuery = StrictObject({
  experimentId: Type.Optional(Type.Array(ExperimentId, { maxItems: 100 })),
  ...SearchPaging,
});
export const RunsPage = Type.Object({ runs: Type.Array(RunSchema), nextPageToken: Type.Optional(Type.String()) });

export const HistoryQuery = StrictObject({
  key: Key,
  maxResults: Type.Optional(Type.Integer({ description: '1 to 25,000 (the default)' })),
  pageToken: Type.Optional(Type.String({ maxLength: 1_000 })),
});
export const HistoryPage = Type.Object({
  metrics: Type.Array(Type.Object({ key: Type.String(), value: MetricValue, step: Type.Integer(), timestamp: Type.Integer() })),
  nextPageToken: Type.Optional(Type.String()),
});

export const NoContent = Type.Null({ description: 'done; no body' });
