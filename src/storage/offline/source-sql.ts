import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../../core/errors/index.js';
import { quoteIdent, quoteLiteral } from './sql-quote.js';

/** Column types a push source declares (the feature store's value types). */
export type OfflineValueType = 'int32' | 'int64' | 'float32' | 'float64' | 'string' | 'bool' | 'timestamp';

/** File formats the offline store reads in place. */
export type OfflineFileFormat = 'parquet' | 'csv' | 'jsonl';

/**
 * What the offline store needs to know about a source. The feature store's
 * `ResolvedSource` satisfies it as it stands; storage keeps its own shape so that it does
 * not depend on the feature domain.
 */
export type OfflineSource =
  | { kind: 'batch'; path: string; format: OfflineFileFormat; timestampField: string; createdTimestampField?: string | undefined }
  | {
      kind: 'push';
      /** a directory of hive-partitioned Parquet: `date=YYYY-MM-DD/*.parquet` */
      path: string;
      schema: Record<string, OfflineValueType>;
      timestampField: string;
      createdTimestampField?: string | undefined;
      /** set for a stream source: its rows carry `__event_id`, and a replayed message's duplicate is dropped on read */
      stream?: object | undefined;
    };

/** The column in which stream rows carry their message id. */
export const EVENT_ID_COLUMN = '__event_id';

const DUCKDB_TYPES: Record<OfflineValueType, string> = {
  int32: 'INTEGER',
  int64: 'BIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  bool: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

const EXTENSIONS: Record<OfflineFileFormat, string> = { parquet: 'parquet', csv: 'csv', jsonl: 'jsonl' };

/** The DuckDB type that stores a feature store value type. */
export function duckDbType(type: OfflineValueType): string {
  return DUCKDB_TYPES[type];
}

/**
 * The relation (what goes after `FROM`) that reads a source where it lies.
 * A batch source is a file, a glob or a directory (read recursively: `dir/**\/*.ext`),
 * Parquet files unioned by column name. A push source is a directory of hive-partitioned
 * Parquet; while nothing has been pushed it is an empty relation with the push schema,
 * so training sets and materialization see "no rows", not an error.
 *
 * @example sourceRelation({ kind: 'batch', path: '/data/flights', format: 'parquet', timestampField: 'date' })
 * // => read_parquet('/data/flights/**\/*.parquet', union_by_name=true)
 */
export function sourceRelation(source: OfflineSource): string {
  if (source.kind === 'batch') return fileRelation(source.path, source.format);
  if (!isUrl(source.path) && !containsFile(source.path, '.parquet')) return emptyPushRelation(source);
  const pattern = `${source.path.replace(/\/+$/, '')}/**/*.parquet`;
  const files = `read_parquet(${quoteLiteral(pattern)}, union_by_name=true, hive_partitioning=true)`;
  if (!source.stream) return files;
  // At-least-once delivery, exactly-once effect: a message written twice (a crash between
  // the write and the acknowledgement) is read once. Batch-ingested rows have no id and
  // all stay; the empty typed relation makes the column exist even when no file has it.
  const id = quoteIdent(EVENT_ID_COLUMN);
  return `(SELECT * EXCLUDE (${id}) FROM ((SELECT CAST(NULL AS VARCHAR) AS ${id} LIMIT 0) UNION ALL BY NAME (SELECT * FROM ${files})) QUALIFY ${id} IS NULL OR row_number() OVER (PARTITION BY ${id}) = 1)`;
}

/**
 * The relation that reads a file, glob or directory of one format (used for sources and
 * for entity spines). A local path that does not exist, or a directory with no file of
 * the format, is refused with `FALAJ_OFFLINE_SOURCE_NOT_FOUND`.
 */
export function fileRelation(path: string, format: OfflineFileFormat): string {
  const pattern = resolvePattern(path, format);
  const literal = quoteLiteral(pattern);
  switch (format) {
    case 'parquet':
      return `read_parquet(${literal}, union_by_name=true)`;
    case 'csv':
      return `read_csv(${literal}, auto_detect=true, union_by_name=true)`;
    case 'jsonl':
      return `read_json(${literal}, format='newline_delimited', union_by_name=true)`;
  }
}

/** The format a spine or file path implies by its extension (default Parquet). */
export function formatOfPath(path: string): OfflineFileFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return 'parquet';
}

function resolvePattern(path: string, format: OfflineFileFormat): string {
  const ext = EXTENSIONS[format];
  if (isUrl(path) || /[*?[]/.test(path)) return path;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new NotFoundError('FALAJ_OFFLINE_SOURCE_NOT_FOUND', `no file or directory at ${path}: check the source's path`, { details: { path } });
  if (!stat.isDirectory()) return path;
  if (!containsFile(path, `.${ext}`)) {
    throw new NotFoundError('FALAJ_OFFLINE_SOURCE_NOT_FOUND', `directory ${path} holds no .${ext} files: check the source's path and format`, { details: { path, format } });
  }
  return `${path.replace(/\/+$/, '')}/**/*.${ext}`;
}

function isUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

/** Depth-first, stopping at the first match: a push directory can hold many files. */
function containsFile(dir: string, suffix: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) if (entry.isFile() && entry.name.endsWith(suffix)) return true;
  for (const entry of entries) if (entry.isDirectory() && containsFile(join(dir, entry.name), suffix)) return true;
  return false;
}

function emptyPushRelation(source: Extract<OfflineSource, { kind: 'push' }>): string {
  const columns = new Map<string, string>(Object.entries(source.schema).map(([name, type]) => [name, duckDbType(type)]));
  // the event and created times are always there, even when the schema leaves them out
  for (const field of [source.timestampField, source.createdTimestampField]) if (field && !columns.has(field)) columns.set(field, 'TIMESTAMP');
  const select = [...columns].map(([name, type]) => `CAST(NULL AS ${type}) AS ${quoteIdent(name)}`).join(', ');
  return `(SELECT ${select} LIMIT 0)`;
}
