import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { assertOnlineProject, assertOnlineRows, assertOnlineView, assertOnlineViews } from './online-names.js';
import type { OnlineRow, OnlineStore, OnlineValue, OnlineWriteResult } from './online-store.js';
import { onlineStoreUnavailable } from './online-store-unavailable.js';

/** Options of {@link createSqliteOnlineStore}. */
export interface SqliteOnlineStoreOptions {
  /** The database file, e.g. `<dataDir>/online.db`; its folder is created. */
  path: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS online_features (
    project    TEXT    NOT NULL,
    entity_key TEXT    NOT NULL,
    view       TEXT    NOT NULL,
    event_ts   INTEGER NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (project, entity_key, view)
  ) WITHOUT ROWID`;

// The WHERE on DO UPDATE makes "strictly newer wins" one statement; `changes` is 0 when
// the stored row is as new or newer, so written/skipped need no read first.
const UPSERT = `
  INSERT INTO online_features (project, entity_key, view, event_ts, value) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (project, entity_key, view) DO UPDATE SET event_ts = excluded.event_ts, value = excluded.value
  WHERE excluded.event_ts > online_features.event_ts`;
const REPLACE = `
  INSERT INTO online_features (project, entity_key, view, event_ts, value) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (project, entity_key, view) DO UPDATE SET event_ts = excluded.event_ts, value = excluded.value`;

// Entity-major primary key: each requested entity is one range seek, and the view list
// narrows it inside SQLite. One statement serves any number of keys and views.
const READ_MANY = `
  SELECT entity_key, view, event_ts, value FROM online_features
  WHERE project = ? AND entity_key IN (SELECT value FROM json_each(?)) AND view IN (SELECT value FROM json_each(?))`;
const READ_ONE = `
  SELECT entity_key, view, event_ts, value FROM online_features
  WHERE project = ? AND entity_key = ? AND view IN (SELECT value FROM json_each(?))`;

type ReadRow = [entityKey: string, view: string, eventTs: number, value: string];

/**
 * The embedded online store: one SQLite file through better-sqlite3 (directly, not
 * Kysely: the read is the serving hot path). Every statement is prepared once. Calls are
 * synchronous under the hood and take microseconds, so they run on the event loop.
 *
 * @example
 * ```ts
 * const store = createSqliteOnlineStore({ path: join(config.dataDir, 'online.db') });
 * ```
 */
export function createSqliteOnlineStore(options: SqliteOnlineStoreOptions): OnlineStore {
  const location = `sqlite ${options.path}`;
  let db: Database.Database;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new Database(options.path);
    // WAL lets serving reads run beside a materialization's writes; FULL sync so an
    // acknowledged push survives power loss, as in the metadata database.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (err) {
    throw onlineStoreUnavailable(location, err);
  }
  const upsert = db.prepare<[string, string, string, number, string]>(UPSERT);
  const replace = db.prepare<[string, string, string, number, string]>(REPLACE);
  const readMany = db.prepare<[string, string, string], ReadRow>(READ_MANY).raw(true);
  const readOne = db.prepare<[string, string, string], ReadRow>(READ_ONE).raw(true);
  const deleteViewStatement = db.prepare<[string, string]>('DELETE FROM online_features WHERE project = ? AND view = ?');
  const pingStatement = db.prepare('SELECT 1').pluck();

  const writeBatch = db.transaction((project: string, rows: readonly OnlineRow[]): number => {
    let written = 0;
    for (const row of rows) {
      written += (row.replace ? replace : upsert).run(project, row.entityKey, row.view, row.eventTs, JSON.stringify(row.values)).changes;
    }
    return written;
  });

  let closed = false;
  /** Runs `work` and turns an engine failure (closed, busy, disk) into UnavailableError. */
  function guard<T>(work: () => T): T {
    if (closed) throw onlineStoreUnavailable(location, new Error('the store is closed'));
    try {
      return work();
    } catch (err) {
      throw err instanceof Database.SqliteError ? onlineStoreUnavailable(location, err) : err;
    }
  }

  return {
    engine: 'sqlite',

    async write(project: string, rows: readonly OnlineRow[]): Promise<OnlineWriteResult> {
      assertOnlineProject(project);
      assertOnlineRows(rows);
      if (rows.length === 0) return { written: 0, skipped: 0 };
      const written = guard(() => writeBatch(project, rows));
      return { written, skipped: rows.length - written };
    },

    async read(project: string, entityKeys: readonly string[], views: readonly string[]): Promise<Array<Record<string, OnlineValue>>> {
      assertOnlineProject(project);
      assertOnlineViews(views);
      const n = entityKeys.length;
      if (n === 1) {
        const out: Record<string, OnlineValue> = {};
        if (views.length === 0) return [out];
        const rows = guard(() => readOne.all(project, entityKeys[0]!, JSON.stringify(views)));
        for (const row of rows) out[row[1]] = { eventTs: row[2], values: JSON.parse(row[3]) as Record<string, unknown> };
        return [out];
      }
      const out: Array<Record<string, OnlineValue>> = new Array(n);
      for (let i = 0; i < n; i++) out[i] = {};
      if (n === 0 || views.length === 0) return out;
      const rows = guard(() => readMany.all(project, JSON.stringify(entityKeys), JSON.stringify(views)));
      if (rows.length === 0) return out;
      // First position of each key; duplicates are copied from it once filled.
      const position = new Map<string, number>();
      for (let i = 0; i < n; i++) if (!position.has(entityKeys[i]!)) position.set(entityKeys[i]!, i);
      for (const row of rows) {
        out[position.get(row[0])!]![row[1]] = { eventTs: row[2], values: JSON.parse(row[3]) as Record<string, unknown> };
      }
      if (position.size < n) {
        for (let i = 0; i < n; i++) {
          const first = position.get(entityKeys[i]!)!;
          if (first !== i) out[i] = { ...out[first] };
        }
      }
      return out;
    },

    async deleteView(project: string, view: string): Promise<number> {
      assertOnlineProject(project);
      assertOnlineView(view);
      // Scans the project's rows (the key is entity-major); fine for a rare admin step,
      // and cheaper than a second index that every write would pay for.
      return guard(() => deleteViewStatement.run(project, view).changes);
    },

    async ping(): Promise<void> {
      guard(() => pingStatement.get());
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
