import type { Classification } from '../../security/policy/index.js';
import type { AggregationFunction, ValueType } from './spec.schema.js';
import type { Expectation } from '../../data/contracts.js';

/**
 * The compiled form of the definitions that the offline store, materialization and online
 * retrieval work from: references resolved, durations in milliseconds, versions fixed.
 */
export interface ResolvedEntity {
  name: string;
  joinKeys: string[];
  /** join key → the source column that carries it */
  columns: Record<string, string>;
}

export interface BatchSource {
  kind: 'batch';
  name: string;
  /** absolute path, glob or directory */
  path: string;
  format: 'parquet' | 'csv' | 'jsonl';
  timestampField: string;
  createdTimestampField?: string | undefined;
  classification: Classification;
}

export interface PushSource {
  kind: 'push';
  name: string;
  schema: Record<string, ValueType>;
  timestampField: string;
  createdTimestampField?: string | undefined;
  classification: Classification;
  /** where pushed rows land offline: a directory of date-partitioned Parquet files */
  path: string;
  /** the data contract checked on ingestion (batch and stream) */
  required: string[];
  allowedValues: Record<string, (string | number | boolean)[]>;
  expectations: Expectation[];
  /** set for a StreamSource: where its messages come from */
  stream?: { broker: string; subject: string; group: string | undefined; tileMs: number | undefined } | undefined;
  version: number;
}

export type ResolvedSource = BatchSource | PushSource;

export interface ResolvedAggregation {
  function: AggregationFunction;
  column: string;
  /** as written, e.g. `7d` */
  window: string;
  windowMs: number;
}

export interface ResolvedFeature {
  name: string;
  type: ValueType;
  /** a plain feature: the source column */
  column?: string | undefined;
  /** or a time-window aggregation over `(t - window, t]` */
  aggregation?: ResolvedAggregation | undefined;
}

export interface ResolvedFeatureView {
  name: string;
  version: number;
  entities: ResolvedEntity[];
  /** every join key of every entity, sorted: the view's entity key */
  joinKeys: string[];
  source: ResolvedSource;
  features: ResolvedFeature[];
  /** 0 = unbounded */
  ttlMs: number;
  online: boolean;
  classification: Classification;
}

export interface ResolvedFeatureService {
  name: string;
  version: number;
  /** the features requested, grouped by view, in the order they were listed */
  views: { view: ResolvedFeatureView; features: ResolvedFeature[] }[];
}

/** Separates join keys in an online entity key; never appears in a key or value we accept. */
export const ENTITY_KEY_SEPARATOR = '\u001f';

/**
 * The online store's entity key for a view: its join keys, sorted, with their values,
 * e.g. `destination=JFK␟origin=LAX`. Views over the same entity share one key, so all
 * their features live together (entity-major layout).
 */
export function entityKey(joinKeys: readonly string[], values: readonly unknown[]): string {
  let out = '';
  for (let i = 0; i < joinKeys.length; i++) {
    if (i > 0) out += ENTITY_KEY_SEPARATOR;
    out += `${joinKeys[i]}=${String(values[i])}`;
  }
  return out;
}
