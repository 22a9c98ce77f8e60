import { join } from 'node:path';
import { FalajError, InputError, UnavailableError } from '../../core/errors/index.js';
import { quoteIdent, quoteLiteral, timestampLiteral, type Row, type SqlParam } from '../../storage/offline/index.js';
import { isPathSafeName, LOG_ROW_COLUMNS } from './log-row.js';
import { PREDICTION_DATE_COLUMN, predictionsPath, type PredictionLogEngine } from './parquet-segment.js';

/** One logged instance as read back from Parquet. */
export interface PredictionRow {
  predictionId: string;
  /** the instance's position in its request */
  row: number;
  /** epoch ms */
  requestedAt: number | null;
  project: string;
  deployment: string;
  variant: string;
  model: string;
  modelVersion: number | null;
  latencyMs: number | null;
  status: string;
  error: string | null;
  shadow: boolean;
  protocol: string;
  /** this instance's entity keys, features and outputs, parsed from their JSON text */
  entities: Record<string, unknown> | null;
  features: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
}

/** Which logged predictions to read. */
export interface PredictionQuery {
  project: string;
  deployment: string;
  /** from this instant, inclusive */
  since?: Date | number;
  /** to this instant, exclusive */
  until?: Date | number;
  variant?: string;
  /** most rows returned, newest first (default 1,000) */
  limit?: number;
  /** drop rows written twice by a crash between a Parquet write and its spill's removal (default true) */
  deduplicate?: boolean;
}

/**
 * Reads a deployment's logged predictions back from Parquet, newest first, one row per
 * instance. Only the date partitions the time range touches are scanned. Files of older
 * log schemas are read by column name (`union_by_name`); a column they lack reads as null.
 *
 * @example
 * const rows = await readPredictions(offline, join(dataDir, 'offline'), { project: 'shop', deployment: 'churn', since: Date.now() - 3_600_000 });
 * // the JSON columns in plain SQL over the same files:
 * // SELECT json_extract(outputs, '$.score') FROM read_parquet('<dir>/shop/predictions/churn/date=2024-05-01/part-*.parquet')
 */
export async function readPredictions(engines: PredictionLogEngine, dir: string, query: PredictionQuery): Promise<PredictionRow[]> {
  if (!isPathSafeName(query.project) || !isPathSafeName(query.deployment)) {
    throw new InputError('FALAJ_BAD_REQUEST', 'project and deployment must be names of letters, digits, dots, dashes and underscores');
  }
  const limit = query.limit ?? 1_000;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InputError('FALAJ_BAD_REQUEST', `limit must be a positive integer, got ${String(query.limit)}`);
  const files = join(predictionsPath(dir, query.project, query.deployment), '*', '*.parquet');
  const date = quoteIdent(PREDICTION_DATE_COLUMN);
  const where: string[] = [];
  const params: SqlParam[] = [];
  // the date conditions prune whole partitions; the timestamp conditions are exact
  if (query.since !== undefined) where.push(`${date} >= CAST(${timestampLiteral(query.since)} AS DATE)`, `requested_at >= ${timestampLiteral(query.since)}`);
  if (query.until !== undefined) where.push(`${date} <= CAST(${timestampLiteral(query.until)} AS DATE)`, `requested_at < ${timestampLiteral(query.until)}`);
  if (query.variant !== undefined) {
    params.push(query.variant);
    where.push(`variant = $${params.length}`);
  }
  const columns = LOG_ROW_COLUMNS.map(([name]) => quoteIdent(name)).join(', ');
  const sql = `SELECT ${columns}
    FROM read_parquet(${quoteLiteral(files)}, hive_partitioning = true, union_by_name = true, hive_types = {${quoteLiteral(PREDICTION_DATE_COLUMN)}: 'DATE'})
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ${query.deduplicate === false ? '' : 'QUALIFY row_number() OVER (PARTITION BY prediction_id, "row", variant, shadow ORDER BY requested_at) = 1'}
    ORDER BY requested_at DESC NULLS LAST, prediction_id, "row"
    LIMIT ${limit}`;
  try {
    const engine = await engines.get();
    // read_parquet fails on a glob that matches nothing: a deployment with no log yet has no rows
    if ((await engine.query(`SELECT 1 FROM glob(${quoteLiteral(files)}) LIMIT 1`)).length === 0) return [];
    return (await engine.query(sql, params)).map(toPredictionRow);
  } catch (err) {
    if (err instanceof FalajError && err.code !== 'FALAJ_OFFLINE_QUERY_FAILED') throw err;
    throw new UnavailableError('FALAJ_PREDICTION_LOG_UNAVAILABLE', `cannot read the prediction log of ${query.project}/${query.deployment}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function toPredictionRow(row: Row): PredictionRow {
  return {
    predictionId: String(row.prediction_id),
    row: Number(row.row),
    requestedAt: row.requested_at == null ? null : Number(row.requested_at),
    project: String(row.project),
    deployment: String(row.deployment),
    variant: String(row.variant),
    model: String(row.model),
    modelVersion: row.model_version == null ? null : Number(row.model_version),
    latencyMs: row.latency_ms == null ? null : Number(row.latency_ms),
    status: String(row.status),
    error: row.error == null ? null : String(row.error),
    shadow: row.shadow === true,
    protocol: String(row.protocol),
    entities: parseJson(row.entities),
    features: parseJson(row.features),
    outputs: parseJson(row.outputs),
  };
}

function parseJson(text: unknown): Record<string, unknown> | null {
  return typeof text === 'string' ? (JSON.parse(text) as Record<string, unknown>) : null;
}
