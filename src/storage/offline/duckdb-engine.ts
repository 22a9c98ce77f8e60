import type { DuckDBConnection, DuckDBInstance, DuckDBValueConverter } from '@duckdb/node-api';
import { FalajError, UnavailableError, UnprocessableError } from '../../core/errors/index.js';
import { createPlainValueConverter, type PlainValue, type Row } from './duckdb-values.js';

/** How the embedded DuckDB instance may use the machine. */
export interface DuckDbEngineOptions {
  /** worker threads (default: DuckDB's, one per core) */
  threads?: number | undefined;
  /** e.g. `4GB`; past it DuckDB spills to `tempDirectory` */
  memoryLimit?: string | undefined;
  /** where large sorts and joins spill */
  tempDirectory?: string | undefined;
}

/** A value bound to a `$1` / `$name` parameter. */
export type SqlParam = string | number | boolean | bigint | null;
/** Positional (`$1`, `?`) or named (`$name`) parameters. */
export type SqlParams = SqlParam[] | Record<string, SqlParam>;

export interface StreamOptions {
  params?: SqlParams | undefined;
  /** rows per yielded batch, the last one possibly fewer (default 10,000) */
  batchSize?: number | undefined;
}

/**
 * One embedded DuckDB instance for the offline store: Parquet, CSV and JSON-lines files
 * queried in place. Hands out short-lived connections; results come back as plain
 * JavaScript rows (see `createPlainValueConverter`), either all at once (`query`) or in batches
 * (`stream`) so that a 10M-row result never sits in memory.
 *
 * @example
 * const engine = await DuckDbEngine.create({ threads: 4, memoryLimit: '4GB' });
 * const rows = await engine.query('SELECT count(*) AS n FROM read_parquet($1)', ['/data/x.parquet']);
 * await engine.close();
 */
export class DuckDbEngine {
  private readonly open = new Set<DuckDBConnection>();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly convert: DuckDBValueConverter<PlainValue>,
  ) {}

  /** Starts an in-memory instance; every session works in UTC. */
  static async create(options: DuckDbEngineOptions = {}): Promise<DuckDbEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    // loaded here, not at import: a server that never queries offline data never maps it
    const api = await import('@duckdb/node-api');
    let instance: DuckDBInstance;
    try {
      instance = await api.DuckDBInstance.create(':memory:', config);
    } catch (err) {
      throw queryError(err);
    }
    const engine = new DuckDbEngine(instance, createPlainValueConverter(api));
    // Timestamps with a time zone are converted to UTC wall time, whatever the host's zone.
    await engine.query("SET GLOBAL TimeZone = 'UTC'");
    return engine;
  }

  /** Runs `fn` with a fresh connection, closed afterwards whatever happens. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await fn(connection);
    } finally {
      this.release(connection);
    }
  }

  /** Runs one statement and returns every row. For large results use `stream`. */
  async query(sql: string, params?: SqlParams): Promise<Row[]> {
    return this.withConnection(async (connection) => {
      try {
        const reader = await connection.runAndReadAll(sql, params);
        return reader.convertRowObjects(this.convert) as Row[];
      } catch (err) {
        throw queryError(err);
      }
    });
  }

  /**
   * Runs one query lazily and yields its rows in batches; stopping early (`break`)
   * releases the connection.
   */
  async *stream(sql: string, options: StreamOptions = {}): AsyncGenerator<Row[], void, undefined> {
    const batchSize = Math.max(1, options.batchSize ?? 10_000);
    const connection = await this.connect();
    try {
      let batch: Row[] = [];
      try {
        const result = await connection.stream(sql, options.params);
        for await (const rows of result.yieldConvertedRowObjects(this.convert)) {
          for (const row of rows) {
            batch.push(row as Row);
            if (batch.length === batchSize) {
              const full = batch;
              batch = [];
              yield full;
            }
          }
        }
      } catch (err) {
        throw queryError(err);
      }
      if (batch.length > 0) yield batch;
    } finally {
      this.release(connection);
    }
  }

  /** Closes every open connection and the instance; later calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.open) connection.closeSync();
    this.open.clear();
    this.instance.closeSync();
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new UnavailableError('FALAJ_OFFLINE_ENGINE_CLOSED', 'the offline query engine is closed; create a new DuckDbEngine');
    const connection = await this.instance.connect();
    this.open.add(connection);
    return connection;
  }

  private release(connection: DuckDBConnection): void {
    if (this.open.delete(connection)) connection.closeSync();
  }
}

/** DuckDB's own errors (bad files, type mismatches, bad SQL) as one stable code. */
function queryError(err: unknown): FalajError {
  if (err instanceof FalajError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UnprocessableError(
    'FALAJ_OFFLINE_QUERY_FAILED',
    `offline query failed: ${message}. Check that the source files exist and that their columns and types match the feature view.`,
    { cause: err },
  );
}
