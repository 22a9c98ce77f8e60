import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteIdent, quoteLiteral, type Row, type SqlParams } from '../../storage/offline/index.js';
import { LOG_ROW_COLUMNS } from './log-row.js';
import type { SpillSegment } from './spill-store.js';

/**
 * What the prediction log needs of the offline engine: `LazyDuckDbEngine` fits it. Kept
 * structural so that a test can hand in an engine that fails.
 */
export interface PredictionLogEngine {
  get(): Promise<{ query(sql: string, params?: SqlParams): Promise<Row[]> }>;
}

/** The hive partition column: the UTC date of `requested_at`. */
export const PREDICTION_DATE_COLUMN = 'date';

/**
 * Where one deployment's predictions live under the offline directory:
 * `<dir>/<project>/predictions/<deployment>/date=YYYY-MM-DD/part-<uuid>.parquet`.
 * Names must have passed `isPathSafeName`.
 */
export function predictionsPath(dir: string, project: string, deployment: string): string {
  return join(dir, project, 'predictions', deployment);
}

/**
 * Writes one spilled segment as new Parquet files (one per date it spans), in one COPY
 * run by DuckDB on its own threads. Never rewrites a file, so a crash here leaves earlier
 * predictions intact; it may leave this segment's files written without the segment
 * removed, which is why the log is at-least-once (duplicates share `prediction_id`, `row`, `variant` and `shadow`).
 */
export async function writeSegmentParquet(engines: PredictionLogEngine, dir: string, segment: SpillSegment): Promise<void> {
  const target = predictionsPath(dir, segment.project, segment.deployment);
  await mkdir(target, { recursive: true });
  const engine = await engines.get();
  const spec = LOG_ROW_COLUMNS.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ');
  const select = LOG_ROW_COLUMNS.map(([name]) => (name === 'requested_at' ? `epoch_ms(requested_at) AS requested_at` : quoteIdent(name))).join(', ');
  await engine.query(
    `COPY (SELECT ${select}, strftime(epoch_ms(requested_at), '%Y-%m-%d') AS ${quoteIdent(PREDICTION_DATE_COLUMN)}
       FROM read_json(${quoteLiteral(segment.path)}, format='newline_delimited', columns={${spec}}))
     TO ${quoteLiteral(target)} (FORMAT parquet, PARTITION_BY (${quoteIdent(PREDICTION_DATE_COLUMN)}), APPEND, FILENAME_PATTERN 'part-{uuid}')`,
  );
}
