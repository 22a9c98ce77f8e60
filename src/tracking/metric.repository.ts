import { CompiledQuery } from 'kysely';
import { InputError } from '../core/errors/index.js';
import type { DbOrTx, MetadataDialect } from '../storage/metadata/index.js';
import type { RunMetricTable } from './tracking.table.js';

const COLUMNS = ['run_id', 'key', 'value', 'is_nan', 'step', 'timestamp'] as const;
const COLUMN_LIST = COLUMNS.map((c) => `"${c}"`).join(', ');
/** rows per statement on SQLite: 6,000 bound values, under its 32,766 */
const SQLITE_ROWS = 1_000;
const SHAPE_CACHE_SIZE = 64;

// MLflow's latest rule (latest-metric.ts isAfter), evaluated by the database on conflict,
// so concurrent writers to one run cannot lose the latest point.
const LATEST_UPSERT = `on conflict ("run_id", "key") do update set "value" = excluded."value", "is_nan" = excluded."is_nan", "step" = excluded."step", "timestamp" = excluded."timestamp"
 where excluded."step" > latest_metrics."step" or (excluded."step" = latest_metrics."step" and (excluded."timestamp" > latest_metrics."timestamp"
 or (excluded."timestamp" = latest_metrics."timestamp" and excluded."value" > latest_metrics."value")))`;

/**
 * The metric write path, the platform's hottest tracking path (100,000 points/s is the
 * aim). Statements are written once per shape and reused, skipping the query builder:
 * on PostgreSQL one `unnest` of six arrays whatever the row count (six bound values, one
 * plan); on SQLite multi-row VALUES of up to 1,000 rows, the text cached per row count.
 */
export class MetricWriter {
  private readonly shapes = new Map<string, string>();

  constructor(private readonly dialect: MetadataDialect) {}

  /** Appends points to the history; a point sent twice (a retried batch) is kept once. */
  async appendHistory(db: DbOrTx, rows: readonly RunMetricTable[]): Promise<void> {
    await this.write(db, 'run_metrics', 'on conflict do nothing', rows);
  }

  /** Raises each key's latest point where the rule says so; at most one row per key. */
  async upsertLatest(db: DbOrTx, rows: readonly RunMetricTable[]): Promise<void> {
    await this.write(db, 'latest_metrics', LATEST_UPSERT, rows);
  }

  private async write(db: DbOrTx, table: 'run_metrics' | 'latest_metrics', conflict: string, rows: readonly RunMetricTable[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.dialect === 'postgres') {
      const text = this.shape(`pg:${table}`, () =>
        `insert into ${table} (${COLUMN_LIST}) select * from unnest($1::text[], $2::text[], $3::float8[], $4::int4[], $5::int8[], $6::int8[]) ${conflict}`,
      );
      const columns = COLUMNS.map((c) => rows.map((r) => r[c]));
      await db.executeQuery(CompiledQuery.raw(text, columns));
      return;
    }
    for (let i = 0; i < rows.length; i += SQLITE_ROWS) {
      const chunk = rows.slice(i, i + SQLITE_ROWS);
      const text = this.shape(`sqlite:${table}:${chunk.length}`, () =>
        `insert into ${table} (${COLUMN_LIST}) values ${Array.from({ length: chunk.length }, () => '(?, ?, ?, ?, ?, ?)').join(', ')} ${conflict}`,
      );
      const values: unknown[] = new Array(chunk.length * COLUMNS.length);
      let k = 0;
      for (const r of chunk) {
        values[k++] = r.run_id;
        values[k++] = r.key;
        values[k++] = r.value;
        values[k++] = r.is_nan;
        values[k++] = r.step;
        values[k++] = r.timestamp;
      }
      await db.executeQuery(CompiledQuery.raw(text, values));
    }
  }

  private shape(name: string, build: () => string): string {
    let text = this.shapes.get(name);
    if (text === undefined) {
      text = build();
      // a small bound: odd batch sizes must not grow the cache without end
      if (this.shapes.size >= SHAPE_CACHE_SIZE) this.shapes.delete(this.shapes.keys().next().value!);
      this.shapes.set(name, text);
    }
    return text;
  }
}

/** Where a history page starts: after this point in (step, timestamp, is_nan, value) order. */
type HistoryCursor = [step: number, timestamp: number, isNan: number, value: number];

/** One page of a metric's history, oldest step first. */
export async function metricHistory(
  db: DbOrTx,
  runId: string,
  key: string,
  limit: number,
  pageToken: string | undefined,
): Promise<{ rows: RunMetricTable[]; nextPageToken?: string }> {
  let query = db.selectFrom('run_metrics').selectAll().where('run_id', '=', runId).where('key', '=', key);
  if (pageToken) {
    const [step, timestamp, isNan, value] = decodeCursor(pageToken);
    query = query.where((eb) => eb(eb.refTuple('step', 'timestamp', 'is_nan', 'value'), '>', eb.tuple(step, timestamp, isNan, value)));
  }
  const rows = await query.orderBy('step').orderBy('timestamp').orderBy('is_nan').orderBy('value').limit(limit + 1).execute();
  if (rows.length <= limit) return { rows };
  rows.length = limit;
  const last = rows[limit - 1]!;
  return { rows, nextPageToken: encodeCursor([Number(last.step), Number(last.timestamp), Number(last.is_nan), Number(last.value)]) };
}

// values as text: JSON has no Infinity
const encodeCursor = (cursor: HistoryCursor) => Buffer.from(JSON.stringify(cursor.map(String))).toString('base64url');

function decodeCursor(token: string): HistoryCursor {
  try {
    const parts = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[]).map((v) => Number(v));
    if (parts.length === 4 && parts.every((n) => !Number.isNaN(n))) return parts as HistoryCursor;
  } catch {
    // reported below
  }
  throw new InputError('FALAJ_VALIDATION_FAILED', 'the page token is not valid: pass the nextPageToken of the previous page as it was given');
}
