import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, PostgresDialect, sql, type Transaction } from 'kysely';
import type { Db } from './db.js';

export type MetadataDialect = 'sqlite' | 'postgres';

/** An open metadata database: Kysely over SQLite (embedded) or PostgreSQL (grown). */
export interface MetadataDatabase {
  readonly db: Kysely<Db>;
  readonly dialect: MetadataDialect;
  /** Human-readable location, never containing a password. */
  readonly location: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DbOrTx = Kysely<Db> | Transaction<Db>;

export interface OpenMetadataOptions {
  /** `postgres://…` or a SQLite file path (`:memory:` for throwaway tests). */
  url: string;
  poolSize?: number;
  /** PostgreSQL only: schema used as `search_path` (tests give each file its own). */
  schema?: string;
}

/**
 * Opens the metadata database named by `url`. The `pg` driver is loaded only when
 * PostgreSQL is used, which keeps the embedded start-up small.
 */
export async function openMetadataDatabase(options: OpenMetadataOptions): Promise<MetadataDatabase> {
  return /^postgres(ql)?:\/\//i.test(options.url) ? openPostgres(options) : openSqlite(options.url);
}

async function openSqlite(path: string): Promise<MetadataDatabase> {
  const { default: SQLite } = await import('better-sqlite3');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const native = new SQLite(path);
  // WAL lets readers run beside the writer; FULL sync so an accepted write (an audit
  // event above all) survives power loss, not just a process crash.
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  native.pragma('busy_timeout = 5000');
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: withStatementCache(native) }) });
  return {
    db,
    dialect: 'sqlite',
    location: `sqlite ${path}`,
    ping: async () => void (await sql`select 1`.execute(db)),
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query again; preparing a 1,000-row insert costs more than running
 * it. Statements are cached by SQL text (bounded). Safe because Kysely runs one query at a
 * time on the single SQLite connection, so a cached statement is never busy twice.
 */
function withStatementCache(native: import('better-sqlite3').Database): import('better-sqlite3').Database {
  const cache = new Map<string, ReturnType<typeof native.prepare>>();
  const prepare = native.prepare.bind(native);
  return new Proxy(native, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver);
      return (sql: string) => {
        let statement = cache.get(sql);
        if (!statement) {
          if (cache.size >= 1_000) cache.clear();
          statement = prepare(sql);
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

async function openPostgres(options: OpenMetadataOptions): Promise<MetadataDatabase> {
  const pg = await import('pg');
  const Pool = pg.default.Pool;
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Per-pool parsers (not the global pg.types) so int8 counters come back as numbers;
    // audit sequence numbers stay far below 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.default.types.getTypeParser(oid, format)) as typeof pg.default.types.getTypeParser,
    },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle pooled connection can be cut by the server (restart, failover, an admin's
  // pg_terminate_backend). pg then emits 'error' on the pool, and an 'error' event with no
  // listener would crash the process; the pool has already dropped that client, so the
  // next query simply opens a fresh connection.
  pool.on('error', (err: Error) => {
    process.emitWarning(`metadata database: idle connection closed: ${err.message}`, { code: 'FALAJ_METADATA_CONNECTION_LOST' });
  });
  if (schema) {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      client.release();
    }
  }
  const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool }) });
  const url = new URL(options.url);
  return {
    db,
    dialect: 'postgres',
    location: `postgres ${url.hostname}:${url.port || 5432}${url.pathname}${schema ? ` (schema ${schema})` : ''}`,
    ping: async () => void (await sql`select 1`.execute(db)),
    close: () => db.destroy(),
  };
}
