import { posix } from 'node:path';
import { InputError } from '../core/errors/index.js';
import type { DatasetInput, LogBatch } from './tracking.types.js';

/** MLflow's limits (mlflow/utils/validation.py), so that what works here works there. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6_000,
  tagValueLength: 8_000,
  experimentTagValueLength: 5_000,
  experimentNameLength: 500,
  runNameLength: 250,
  metricsPerBatch: 1_000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1_000,
  datasetNameLength: 500,
  datasetDigestLength: 36,
  datasetSourceLength: 65_535,
  datasetSchemaLength: 1_048_575,
  datasetProfileLength: 16_777_215,
  inputTagKeyLength: 255,
  inputTagValueLength: 500,
} as const;

// MLflow's _VALID_PARAM_AND_METRIC_NAMES (`^[/\w.\- :]*$`, \w being Unicode-aware in Python)
const KEY_PATTERN = /^[\p{L}\p{N}_/.\- :]+$/u;

const tooLong = (what: string, limit: number, actual: number) =>
  new InputError('FALAJ_LIMIT_EXCEEDED', `${what} is ${actual} characters long; the limit is ${limit}`, { details: { limit, actual } });

/** Checks a length limit: FALAJ_LIMIT_EXCEEDED with both numbers when it is passed. */
export function checkLength(what: string, value: string, limit: number): void {
  if (value.length > limit) throw tooLong(what, limit, value.length);
}

/**
 * A metric, param or tag key: non-empty, ≤ 250 characters, letters, digits and `_ - . / :`
 * or spaces, and (since keys may become file names) equal to its own normalised path.
 */
export function checkKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  checkLength(`${kind} key "${key.slice(0, 40)}…"`, key, LIMITS.keyLength);
  if (!KEY_PATTERN.test(key)) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `${kind} key "${key}" is not valid: use letters, digits, spaces and _ - . / : only`);
  }
  const normal = posix.normalize(key);
  if (normal !== key || normal === '.' || normal.startsWith('..') || normal.startsWith('/')) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `${kind} key "${key}" would resolve to another name as a path ("${normal}"): remove leading or doubled slashes and dot segments`);
  }
}

/** Batch sizes and every item of a batch, before anything is written. */
export function checkBatch(batch: Required<LogBatch>): void {
  const { metrics, params, tags } = batch;
  if (metrics.length > LIMITS.metricsPerBatch) throw tooManyItems('metrics', LIMITS.metricsPerBatch, metrics.length);
  if (params.length > LIMITS.paramsPerBatch) throw tooManyItems('params', LIMITS.paramsPerBatch, params.length);
  if (tags.length > LIMITS.tagsPerBatch) throw tooManyItems('tags', LIMITS.tagsPerBatch, tags.length);
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.entitiesPerBatch) throw tooManyItems('metrics, params and tags together', LIMITS.entitiesPerBatch, total);
  for (const m of metrics) checkMetric(m.key, m.value, m.step, m.timestamp);
  for (const p of params) checkParam(p.key, p.value);
  for (const t of tags) checkTag(t.key, t.value);
}

export function checkMetric(key: string, value: number, step: number, timestamp: number): void {
  checkKey('metric', key);
  if (typeof value !== 'number') throw new InputError('FALAJ_VALIDATION_FAILED', `metric ${key}: the value must be a number (NaN and ±Infinity allowed)`);
  if (!Number.isSafeInteger(step)) throw new InputError('FALAJ_VALIDATION_FAILED', `metric ${key}: step ${step} is not an integer`);
  if (!Number.isSafeInteger(timestamp)) throw new InputError('FALAJ_VALIDATION_FAILED', `metric ${key}: timestamp ${timestamp} is not an integer (epoch milliseconds)`);
}

export function checkParam(key: string, value: string): void {
  checkKey('param', key);
  checkLength(`the value of param ${key}`, value, LIMITS.paramValueLength);
}

export function checkTag(key: string, value: string): void {
  checkKey('tag', key);
  checkLength(`the value of tag ${key}`, value, LIMITS.tagValueLength);
}

export function checkDatasetInput(input: DatasetInput): void {
  checkLength('dataset name', input.name, LIMITS.datasetNameLength);
  checkLength(`digest of dataset ${input.name}`, input.digest, LIMITS.datasetDigestLength);
  checkLength(`source of dataset ${input.name}`, input.source, LIMITS.datasetSourceLength);
  if (input.schema !== undefined) checkLength(`schema of dataset ${input.name}`, input.schema, LIMITS.datasetSchemaLength);
  if (input.profile !== undefined) checkLength(`profile of dataset ${input.name}`, input.profile, LIMITS.datasetProfileLength);
  for (const [k, v] of Object.entries(input.tags ?? {})) {
    checkLength(`input tag key of dataset ${input.name}`, k, LIMITS.inputTagKeyLength);
    checkLength(`input tag ${k} of dataset ${input.name}`, v, LIMITS.inputTagValueLength);
  }
}

function tooManyItems(what: string, limit: number, actual: number): InputError {
  return new InputError('FALAJ_LIMIT_EXCEEDED', `a batch may carry at most ${limit} ${what}; this one has ${actual}: split it`, { details: { limit, actual } });
}
