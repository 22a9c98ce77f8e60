import { randomUUID } from 'node:crypto';

/**
 * OpenLineage run events (spec 2-0-2, `https://openlineage.io/spec/2-0-2/OpenLineage.json`)
 * and the names Falaj gives its jobs and datasets in them. Field names follow the spec's
 * JSON schema exactly, so an event built here can be sent as-is to any OpenLineage
 * consumer (Marquez's `POST /api/v1/lineage`, DataHub, OpenMetadata).
 */

/** Who wrote the event (the spec's `producer`, a URI). */
export const FALAJ_PRODUCER = 'https://github.com/falaj/falaj';

/** The version of the spec our events follow: a JSON pointer to its RunEvent definition. */
export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The spec's run states: START, then RUNNING (optional), then one of COMPLETE, ABORT, FAIL; OTHER adds metadata. */
export const RUN_EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** Every facet carries `_producer` and `_schemaURL` (prefixed so they never clash with the facet's own fields). */
export interface Facet {
  _producer: string;
  _schemaURL: string;
  [field: string]: unknown;
}

export type Facets = Record<string, Facet>;

/** A dataset as the spec names it: unique `name` inside its `namespace`. */
export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: Facets;
}

export interface InputDataset extends LineageDataset {
  /** facets about this run's read of the dataset (e.g. `dataQualityMetrics`) */
  inputFacets?: Facets;
}

export interface OutputDataset extends LineageDataset {
  /** facets about this run's write (e.g. `outputStatistics`) */
  outputFacets?: Facets;
}

/** One OpenLineage RunEvent. */
export interface RunEvent {
  eventType?: RunEventType;
  /** ISO-8601 with a time zone */
  eventTime: string;
  run: { runId: string; facets?: Facets };
  job: { namespace: string; name: string; facets?: Facets };
  inputs?: InputDataset[];
  outputs?: OutputDataset[];
  producer: string;
  schemaURL: string;
}

/** The namespace of a project's jobs and datasets: `falaj://<project>`. */
export function lineageNamespace(project: string): string {
  return `falaj://${project}`;
}

/** The project a `falaj://<project>` namespace names, or undefined for any other namespace. */
export function projectOfNamespace(namespace: string): string | undefined {
  const match = /^falaj:\/\/([a-z][a-z0-9-]{0,62})$/.exec(namespace);
  return match?.[1];
}

/**
 * Dataset names inside a project's namespace: the kind, a slash, the object's name.
 *
 * @example
 * datasetName.model('fraud', 3) // 'model/fraud/3'
 */
export const datasetName = {
  source: (name: string) => `source/${name}`,
  view: (name: string) => `view/${name}`,
  service: (name: string) => `service/${name}`,
  /** a built training set */
  dataset: (id: string) => `dataset/${id}`,
  model: (name: string, version: number | string) => `model/${name}/${version}`,
  predictions: (deployment: string) => `predictions/${deployment}`,
};

/** Job names inside a project's namespace: what the job does, a slash, what it does it to. */
export const jobName = {
  ingest: (source: string) => `ingest/${source}`,
  materialize: (view: string) => `materialize/${view}`,
  trainingSet: (service: string) => `training-set/${service}`,
  train: (job: string) => `train/${job}`,
  register: (model: string) => `register/${model}`,
};

/** A dataset of the event's project by its name, or one elsewhere with its own namespace. */
export type DatasetRef<T extends LineageDataset = LineageDataset> = string | (Omit<T, 'namespace'> & { namespace?: string });

export interface RunEventInput {
  eventType: RunEventType;
  project: string;
  /** e.g. `jobName.materialize('trip_stats')` */
  job: string;
  /** the run's UUID: the same for every event of one run (default: a new one) */
  runId?: string;
  /** default: now */
  eventTime?: Date | string;
  inputs?: DatasetRef<InputDataset>[];
  outputs?: DatasetRef<OutputDataset>[];
  runFacets?: Facets;
  jobFacets?: Facets;
}

/**
 * Builds a RunEvent in the project's namespace.
 *
 * @example
 * const runId = newRunId();
 * lineage.emit(runEvent({ eventType: 'START', project, job: jobName.materialize('trip_stats'), runId, inputs: [datasetName.source('trips')] }));
 * // … the work …
 * lineage.emit(runEvent({ eventType: 'COMPLETE', project, job: jobName.materialize('trip_stats'), runId,
 *   inputs: [datasetName.source('trips')], outputs: [datasetName.view('trip_stats')] }));
 */
export function runEvent(input: RunEventInput): RunEvent {
  const namespace = lineageNamespace(input.project);
  const time = input.eventTime ?? new Date();
  return {
    eventType: input.eventType,
    eventTime: typeof time === 'string' ? time : time.toISOString(),
    run: { runId: input.runId ?? newRunId(), ...(input.runFacets ? { facets: input.runFacets } : {}) },
    job: { namespace, name: input.job, ...(input.jobFacets ? { facets: input.jobFacets } : {}) },
    inputs: (input.inputs ?? []).map((d) => inNamespace(d, namespace)),
    outputs: (input.outputs ?? []).map((d) => inNamespace(d, namespace)),
    producer: FALAJ_PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA_URL,
  };
}

/** A run id: the spec requires a UUID. */
export function newRunId(): string {
  return randomUUID();
}

function inNamespace<T extends LineageDataset>(ref: DatasetRef<T>, namespace: string): T {
  if (typeof ref === 'string') return { namespace, name: ref } as T;
  return { ...ref, namespace: ref.namespace ?? namespace } as T;
}
