import { duckDbType, quoteIdent, sourceRelation, timestampSql } from '../../storage/offline/index.js';
import type { ResolvedFeature, ResolvedFeatureView } from '../definitions/resolved.js';

/** Internal column names; spines may not use the prefix. */
export const INTERNAL_PREFIX = '__falaj_';
export const TS = '__falaj_ts';
export const CREATED = '__falaj_created';
export const ROW = '__falaj_row';

/** How one view's source is read: which source column feeds each join key and value alias. */
export interface ViewProjection {
  /** the source column for each of `view.joinKeys`, in that order */
  keyColumns: string[];
  /** source column → alias (`__falaj_c0`, ...) for every column a requested feature reads */
  valueAliases: Map<string, string>;
  hasCreated: boolean;
}

/** `__falaj_k0`, ... : the view's join keys, in `view.joinKeys` order. */
export function keyAlias(index: number): string {
  return `__falaj_k${index}`;
}

/** The source column a join key is read from (an entity may rename it). */
export function keySourceColumn(view: ResolvedFeatureView, joinKey: string): string {
  for (const entity of view.entities) {
    const column = entity.columns[joinKey];
    if (column !== undefined) return column;
  }
  return joinKey;
}

/** The source column a feature reads: its aggregation's column, its column, or its name. */
export function featureSourceColumn(feature: ResolvedFeature): string {
  return feature.aggregation?.column ?? feature.column ?? feature.name;
}

export function projectionFor(view: ResolvedFeatureView, features: readonly ResolvedFeature[]): ViewProjection {
  const valueAliases = new Map<string, string>();
  for (const feature of features) {
    const column = featureSourceColumn(feature);
    if (!valueAliases.has(column)) valueAliases.set(column, `__falaj_c${valueAliases.size}`);
  }
  return {
    keyColumns: view.joinKeys.map((k) => keySourceColumn(view, k)),
    valueAliases,
    hasCreated: Boolean(view.source.createdTimestampField),
  };
}

/**
 * The view's source rows, renamed to internal aliases: join keys, event time (`TS`),
 * created time (`CREATED`, when the source has one) and the value columns. Rows without
 * an entity key or event time can never match an entity row, so they are dropped here.
 */
export function projectedSourceSql(view: ResolvedFeatureView, projection: ViewProjection): string {
  const source = view.source;
  const select = [
    ...projection.keyColumns.map((c, i) => `${quoteIdent(c)} AS ${keyAlias(i)}`),
    `${timestampSql(quoteIdent(source.timestampField))} AS ${TS}`,
    ...(projection.hasCreated ? [`${timestampSql(quoteIdent(source.createdTimestampField!))} AS ${CREATED}`] : []),
    ...[...projection.valueAliases].map(([column, alias]) => `${quoteIdent(column)} AS ${alias}`),
  ];
  const notNull = [...projection.keyColumns.map((_, i) => keyAlias(i)), TS].map((c) => `${c} IS NOT NULL`).join(' AND ');
  return `(SELECT * FROM (SELECT ${select.join(', ')} FROM ${sourceRelation(source)}) WHERE ${notNull})`;
}

/** Casts a computed value to the feature's declared type, so every build has one schema. */
export function castToFeatureType(expr: string, feature: ResolvedFeature): string {
  return feature.type === 'timestamp' ? timestampSql(expr) : `CAST(${expr} AS ${duckDbType(feature.type)})`;
}

/** The DuckDB aggregate for a windowed function other than `last`. */
export function windowAggregate(fn: string, alias: string): string {
  switch (fn) {
    case 'count':
      return `count(${alias})`;
    case 'sum':
      return `sum(${alias})`;
    case 'mean':
      return `avg(${alias})`;
    case 'min':
      return `min(${alias})`;
    case 'max':
      return `max(${alias})`;
    case 'stddev':
      return `stddev_samp(${alias})`;
    default:
      throw new Error(`no window aggregate for ${fn}`);
  }
}
