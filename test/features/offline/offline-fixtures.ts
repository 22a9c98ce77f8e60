import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ResolvedAggregation, ResolvedFeature, ResolvedFeatureView, ResolvedSource } from '../../../src/features/definitions/resolved.js';
import { DuckDbEngine, quoteIdent, quoteLiteral, type Row } from '../../../src/storage/offline/index.js';

/** A DuckDB engine and a temporary directory for one test file. */
export function useOfflineWorkspace(): { engine: () => DuckDbEngine; dir: () => string } {
  let engine: DuckDbEngine | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    engine = await DuckDbEngine.create({ threads: 2 });
    dir = await mkdtemp(join(tmpdir(), 'falaj-offline-'));
  });
  afterAll(async () => {
    await engine?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return { engine: () => engine!, dir: () => dir! };
}

/** Column name → DuckDB type, in file order. */
export type Columns = Record<string, string>;

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return quoteLiteral(String(value));
}

/** The rows as an SQL relation with typed columns. */
export function valuesSql(columns: Columns, rows: readonly unknown[][]): string {
  const names = Object.keys(columns);
  const casts = names.map((n, i) => `CAST(col${i} AS ${columns[n]}) AS ${quoteIdent(n)}`).join(', ');
  if (rows.length === 0) return `(SELECT ${names.map((n) => `CAST(NULL AS ${columns[n]}) AS ${quoteIdent(n)}`).join(', ')} LIMIT 0)`;
  const tuples = rows.map((r) => `(${names.map((_, i) => literal(r[i])).join(', ')})`).join(', ');
  return `(SELECT ${casts} FROM (VALUES ${tuples}) AS t(${names.map((_, i) => `col${i}`).join(', ')}))`;
}

/** Writes rows to a Parquet, CSV or JSON-lines file with DuckDB `COPY`; returns the path. */
export async function writeRows(engine: DuckDbEngine, path: string, columns: Columns, rows: readonly unknown[][]): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const format = path.endsWith('.csv') ? 'FORMAT csv, HEADER' : path.endsWith('.jsonl') ? 'FORMAT json' : 'FORMAT parquet';
  await engine.query(`COPY (SELECT * FROM ${valuesSql(columns, rows)}) TO ${quoteLiteral(path)} (${format})`);
  return path;
}

/** Reads a Parquet file back, in file order. */
export function readParquet(engine: DuckDbEngine, path: string): Promise<Row[]> {
  return engine.query(`SELECT * FROM read_parquet(${quoteLiteral(path)})`);
}

/** Epoch ms of a UTC wall time like `2024-01-01 10:00:00`. */
export const ms = (utc: string): number => Date.parse(`${utc.replace(' ', 'T')}Z`);

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export function batchSource(path: string, overrides: Partial<Extract<ResolvedSource, { kind: 'batch' }>> = {}): ResolvedSource {
  return { kind: 'batch', name: 'src', path, format: 'parquet', timestampField: 'ts', classification: 'public', ...overrides } as ResolvedSource;
}

/** A feature view over `source` with one entity per join key (source column = join key unless mapped). */
export function featureView(
  name: string,
  source: ResolvedSource,
  features: ResolvedFeature[],
  options: { joinKeys?: string[]; columns?: Record<string, string>; ttlMs?: number } = {},
): ResolvedFeatureView {
  const joinKeys = [...(options.joinKeys ?? ['id'])].sort();
  return {
    name,
    version: 1,
    entities: joinKeys.map((k) => ({ name: k, joinKeys: [k], columns: { [k]: options.columns?.[k] ?? k } })),
    joinKeys,
    source,
    features,
    ttlMs: options.ttlMs ?? 0,
    online: true,
    classification: 'public',
  } as ResolvedFeatureView;
}

export const plain = (name: string, column = name, type: ResolvedFeature['type'] = 'float64'): ResolvedFeature => ({ name, type, column });

export function agg(name: string, fn: ResolvedAggregation['function'], column: string, windowMs: number, type: ResolvedFeature['type'] = 'float64'): ResolvedFeature {
  return { name, type, aggregation: { function: fn, column, window: `${windowMs}ms`, windowMs } };
}
