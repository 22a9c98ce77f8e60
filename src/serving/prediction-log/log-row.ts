import type { FeatureMatrix, PredictionRecord } from '../contracts.js';

/**
 * The prediction log's row format: one row per instance of a request. The same JSON-lines
 * form is written to spill segments and read by DuckDB's `read_json` when a segment becomes
 * Parquet, so a segment needs no conversion step. Feature, entity and output values are kept
 * as JSON text, which keeps the Parquet schema the same for every model; DuckDB reads them
 * with `json_extract(features, '$.age')` or `features->>'$.age'`.
 */
export interface LogRow {
  prediction_id: string;
  row: number;
  /** epoch milliseconds; null only when the record had no valid time */
  requested_at: number | null;
  project: string;
  deployment: string;
  variant: string;
  model: string;
  model_version: number | null;
  latency_ms: number | null;
  status: string;
  error: string | null;
  shadow: boolean;
  protocol: string;
  entities: string | null;
  features: string | null;
  outputs: string | null;
}

/** DuckDB types of the staged JSON-lines columns, in Parquet column order. */
export const LOG_ROW_COLUMNS: ReadonlyArray<readonly [keyof LogRow, string]> = [
  ['prediction_id', 'VARCHAR'],
  ['row', 'INTEGER'],
  ['requested_at', 'BIGINT'],
  ['project', 'VARCHAR'],
  ['deployment', 'VARCHAR'],
  ['variant', 'VARCHAR'],
  ['model', 'VARCHAR'],
  ['model_version', 'INTEGER'],
  ['latency_ms', 'DOUBLE'],
  ['status', 'VARCHAR'],
  ['error', 'VARCHAR'],
  ['shadow', 'BOOLEAN'],
  ['protocol', 'VARCHAR'],
  ['entities', 'VARCHAR'],
  ['features', 'VARCHAR'],
  ['outputs', 'VARCHAR'],
];

// Project and deployment names become directory names: nothing that could climb out of
// the log's folder or need escaping. Falaj's own name rules are narrower than this.
const PATH_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Whether `name` can safely be one directory level of the log's Parquet path. */
export function isPathSafeName(name: unknown): name is string {
  return typeof name === 'string' && PATH_NAME.test(name) && !name.includes('..');
}

/**
 * One record as JSON lines, one per instance (at least one, so a request that failed
 * before it had instances is still logged). Values are normalised to the column types, so
 * that no record can make a segment unreadable for DuckDB. Throws when the record cannot be
 * stored at all (a project or deployment name unfit for a path, a circular value).
 */
export function toLogLines(record: PredictionRecord): string[] {
  if (!isPathSafeName(record.project) || !isPathSafeName(record.deployment)) {
    throw new Error(`project ${JSON.stringify(record.project)} or deployment ${JSON.stringify(record.deployment)} is not a valid name`);
  }
  const entities = arrayOf(record.entities);
  const features = isFeatureMatrix(record.features) ? matrixRows(record.features) : arrayOf(record.features).map(jsonText);
  const outputs = arrayOf(record.outputs);
  const count = Math.max(1, entities.length, features.length, outputs.length);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const row: LogRow = {
      prediction_id: String(record.predictionId),
      row: i,
      requested_at: Number.isFinite(record.requestedAt) ? Math.trunc(record.requestedAt) : null,
      project: record.project,
      deployment: record.deployment,
      variant: String(record.variant),
      model: String(record.model),
      model_version: Number.isSafeInteger(record.modelVersion) && Math.abs(record.modelVersion) < 2 ** 31 ? record.modelVersion : null,
      latency_ms: Number.isFinite(record.latencyMs) ? record.latencyMs : null,
      status: String(record.status),
      error: record.error == null ? null : String(record.error),
      shadow: record.shadow === true,
      protocol: String(record.protocol),
      entities: jsonText(entities[i]),
      features: features[i] ?? null,
      outputs: jsonText(outputs[i]),
    };
    lines.push(JSON.stringify(row));
  }
  return lines;
}

function isFeatureMatrix(value: unknown): value is FeatureMatrix {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray((value as FeatureMatrix).names) && ArrayBuffer.isView((value as FeatureMatrix).data);
}

/**
 * A matrix's rows as JSON text, through objects handed straight to JSON.stringify (which
 * writes numbers faster than any concatenation; they are plain numbers, no replacer needed).
 */
function matrixRows({ names, data }: FeatureMatrix): string[] {
  const width = names.length;
  const rows: string[] = [];
  for (let at = 0; width > 0 && at + width <= data.length; at += width) {
    const row: Record<string, number | null> = {};
    for (let j = 0; j < width; j++) {
      const v = data[at + j]!;
      row[names[j]!] = Number.isFinite(v) ? v : null;
    }
    rows.push(JSON.stringify(row));
  }
  return rows;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function jsonText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  // the common case, an object of plain scalars, skips the replacer (it doubles the cost)
  return isFlatScalars(value) ? JSON.stringify(value) : JSON.stringify(value, jsonValue);
}

function isFlatScalars(value: unknown): boolean {
  if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  for (const v of Object.values(value as Record<string, unknown>)) {
    const t = typeof v;
    if (!(v === null || t === 'number' || t === 'string' || t === 'boolean')) return false;
  }
  return true;
}

// Values a model hands back that JSON.stringify gets wrong: 64-bit integers (would throw)
// and typed arrays (would become {"0": …} objects).
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>);
  return value;
}
