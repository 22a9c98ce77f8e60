import { InputError } from '../../core/errors/index.js';
import { RUN_EVENT_TYPES, type RunEvent } from './lineage-event.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO-8601 date-time with a zone, as the spec's `format: date-time` (RFC 3339) requires
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Most datasets one event may name on each side (edges are inputs × outputs). */
export const MAX_DATASETS_PER_SIDE = 1_000;
/** Most input → output pairs one COMPLETE event may add to the graph. */
export const MAX_EDGES_PER_EVENT = 10_000;

/**
 * Checks what the store relies on: the fields the spec requires (`eventTime`, `producer`,
 * `run.runId` a UUID, `job.namespace` and `job.name`), a known `eventType` when given, and
 * datasets with a namespace and a name. Facets are kept as sent, unchecked: they are open
 * by design. `schemaURL` (required since spec 2-0-0) is not demanded, so clients on 1-x
 * specs can still report. Throws `FALAJ_LINEAGE_EVENT_INVALID` listing every problem.
 */
export function validateRunEvent(value: unknown): RunEvent {
  const problems: { path: string; message: string }[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  if (!isObject(value)) throw invalid([{ path: '', message: 'must be a JSON object (an OpenLineage RunEvent)' }]);

  if (typeof value.eventTime !== 'string' || !DATE_TIME.test(value.eventTime) || Number.isNaN(Date.parse(value.eventTime))) {
    problem('/eventTime', 'must be an ISO-8601 date-time with a time zone, e.g. 2024-07-01T08:23:37.491Z');
  }
  if (typeof value.producer !== 'string' || value.producer.length === 0) problem('/producer', 'must be a URI naming what produced the event');
  if (value.schemaURL !== undefined && typeof value.schemaURL !== 'string') problem('/schemaURL', 'must be a URL');
  if (value.eventType !== undefined && !(RUN_EVENT_TYPES as readonly unknown[]).includes(value.eventType)) {
    problem('/eventType', `must be one of ${RUN_EVENT_TYPES.join(', ')}`);
  }
  if (!isObject(value.run) || typeof value.run.runId !== 'string' || !UUID.test(value.run.runId)) problem('/run/runId', 'must be a UUID');
  if (!isObject(value.job)) problem('/job', 'must be an object with namespace and name');
  else {
    if (!nonEmpty(value.job.namespace)) problem('/job/namespace', 'must be a non-empty string');
    if (!nonEmpty(value.job.name)) problem('/job/name', 'must be a non-empty string');
  }
  const sides = (['inputs', 'outputs'] as const).map((side) => checkDatasets(value[side], `/${side}`, problem));
  if (sides[0]! * sides[1]! > MAX_EDGES_PER_EVENT) problem('/outputs', `${sides[0]} inputs × ${sides[1]} outputs is more than ${MAX_EDGES_PER_EVENT} links; split the job into smaller runs`);
  if (problems.length) throw invalid(problems);
  return value as unknown as RunEvent;
}

function checkDatasets(list: unknown, path: string, problem: (path: string, message: string) => void): number {
  if (list === undefined) return 0;
  if (!Array.isArray(list)) {
    problem(path, 'must be a list of datasets');
    return 0;
  }
  if (list.length > MAX_DATASETS_PER_SIDE) problem(path, `names ${list.length} datasets; at most ${MAX_DATASETS_PER_SIDE}`);
  list.forEach((d, i) => {
    if (!isObject(d) || !nonEmpty(d.namespace) || !nonEmpty(d.name)) problem(`${path}/${i}`, 'must have a non-empty namespace and name');
  });
  return list.length;
}

function invalid(errors: { path: string; message: string }[]): InputError {
  const summary = errors.slice(0, 3).map((e) => `${e.path || 'event'} ${e.message}`).join('; ');
  return new InputError('FALAJ_LINEAGE_EVENT_INVALID', `lineage event is not a valid OpenLineage RunEvent: ${summary}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`, { details: { errors } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
