import { sql, type RawBuilder } from 'kysely';
import type { MetadataDialect } from '../storage/metadata/index.js';

/**
 * `tags[key] = value` on a JSON-text column, for search filters. The engines spell JSON
 * access differently: SQLite's `json_extract` takes a path (keys are checked by
 * `checkTagKey`, so they never contain a quote), PostgreSQL casts to jsonb and uses `->>`.
 */
export function tagEquals(dialect: MetadataDialect, column: string, key: string, value: string): RawBuilder<boolean> {
  return dialect === 'postgres'
    ? sql<boolean>`(${sql.ref(column)}::jsonb ->> ${key}) = ${value}`
    : sql<boolean>`json_extract(${sql.ref(column)}, ${`$."${key}"`}) = ${value}`;
}

/**
 * Case-insensitive `LIKE` (MLflow's `ILIKE`; `%` and `_` are wildcards). SQLite's LIKE
 * already ignores ASCII case; PostgreSQL needs ILIKE.
 */
export function nameLike(dialect: MetadataDialect, column: string, pattern: string): RawBuilder<boolean> {
  return dialect === 'postgres' ? sql<boolean>`${sql.ref(column)} ilike ${pattern}` : sql<boolean>`${sql.ref(column)} like ${pattern}`;
}
