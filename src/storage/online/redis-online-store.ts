import type { ChainableCommander, Redis } from 'ioredis';
import { FalajError } from '../../core/errors/index.js';
import { redactUrl } from '../../core/config/index.js';
import { assertOnlineProject, assertOnlineRows, assertOnlineView, assertOnlineViews } from './online-names.js';
import type { OnlineRow, OnlineStore, OnlineValue, OnlineWriteResult } from './online-store.js';
import { onlineStoreUnavailable } from './online-store-unavailable.js';
import { REDIS_WRITE_BATCH_ROWS, REDIS_WRITE_SCRIPT } from './redis-write-script.js';

/** Options of {@link createRedisOnlineStore}. */
export interface RedisOnlineStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** First part of every key: `<keyPrefix>:<project>:<entityKey>`. Default `falaj`. */
  keyPrefix?: string;
  /** How long to wait for a connection before failing. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** How long a command may go unanswered before failing. Default 2000 ms. */
  commandTimeoutMs?: number;
}

/** The stored form of one view's value (compact keys: it is in every hash field). */
interface StoredValue {
  t: number;
  v: Record<string, unknown>;
}

/** The write script, registered with `defineCommand`: ioredis EVALs it once per connection, then EVALSHAs. */
type WithWriteScript = { falajOnlineWrite(numKeys: number, keys: string[], args: string[]): unknown };

// Redis errors that mean "not able to serve now", as opposed to a bug or bad data.
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF)\b/;

/**
 * The grown online store: one Redis hash per (project, entity key), key
 * `<keyPrefix>:<project>:<entityKey>`, field `<view>` = `{"t":eventTs,"v":{…}}` and
 * field `<view>@t` = eventTs for the compare. A read is one pipeline of one HMGET per
 * entity key; a write is one pipeline of Lua calls of up to 500 rows each.
 *
 * Resolves once connected; rejects with `FALAJ_ONLINE_STORE_UNAVAILABLE` when Redis
 * cannot be reached. While Redis is down later, calls fail at once with that code (no
 * offline queue) and the client reconnects in the background.
 *
 * Single Redis (or a primary with replicas) only: a write script and a read pipeline
 * span many keys, which Redis Cluster would need grouped by slot.
 *
 * @example
 * ```ts
 * const store = await createRedisOnlineStore({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export async function createRedisOnlineStore(options: RedisOnlineStoreOptions): Promise<OnlineStore> {
  // Loaded here so that the embedded (SQLite) set-up never loads ioredis.
  const { Redis: RedisClient } = await import('ioredis');
  const keyPrefix = options.keyPrefix ?? 'falaj';
  const location = `redis ${redactUrl(options.url)}`;
  let lastError: Error | undefined;

  const client: Redis = new RedisClient(options.url, {
    lazyConnect: true,
    // Fail fast rather than queue: a serving request must get a 503 now, not hang
    // until Redis returns. One retry covers a command caught by a dropped connection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    connectionName: 'falaj-online',
  });
  // Without a listener ioredis prints every reconnect failure; keep the last one for messages.
  client.on('error', (err: Error) => {
    lastError = err;
  });
  client.defineCommand('falajOnlineWrite', { lua: REDIS_WRITE_SCRIPT });

  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw onlineStoreUnavailable(location, lastError ?? err);
  }

  /** Maps a client or server error to a FalajError, naming the last connection error when not connected. */
  function failure(err: unknown): Error {
    if (err instanceof Error && err.name === 'ReplyError' && !UNAVAILABLE_REPLY.test(err.message)) {
      return new FalajError('FALAJ_INTERNAL', `online store ${location} refused a command: ${err.message}`, {
        cause: new Error(err.message),
      });
    }
    if (client.status === 'end') return onlineStoreUnavailable(location, new Error('the store is closed'));
    if (client.status !== 'ready') {
      const reason = `not connected (${client.status}${lastError ? `: ${lastError.message}` : ''})`;
      return onlineStoreUnavailable(location, new Error(reason));
    }
    return onlineStoreUnavailable(location, err);
  }

  /** Runs a pipeline, throwing the first failed command's error. */
  async function exec(pipeline: ChainableCommander): Promise<Array<[error: Error | null, result: unknown]>> {
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw failure(err);
    }
    if (results === null) throw failure(new Error('pipeline was discarded'));
    for (const [err] of results) if (err) throw failure(err);
    return results;
  }

  return {
    engine: 'redis',

    async write(project: string, rows: readonly OnlineRow[]): Promise<OnlineWriteResult> {
      assertOnlineProject(project);
      assertOnlineRows(rows);
      if (rows.length === 0) return { written: 0, skipped: 0 };
      const prefix = `${keyPrefix}:${project}:`;
      const pipeline = client.pipeline();
      for (let start = 0; start < rows.length; start += REDIS_WRITE_BATCH_ROWS) {
        const end = Math.min(start + REDIS_WRITE_BATCH_ROWS, rows.length);
        const keys = new Array<string>(end - start);
        const args = new Array<string>((end - start) * 4);
        for (let i = start, k = 0, a = 0; i < end; i++, k++) {
          const row = rows[i]!;
          const ts = String(row.eventTs);
          keys[k] = prefix + row.entityKey;
          args[a++] = row.view;
          args[a++] = ts;
          // Built by hand to skip an intermediate {t, v} object per row.
          args[a++] = `{"t":${ts},"v":${JSON.stringify(row.values)}}`;
          args[a++] = row.replace ? '1' : '0';
        }
        (pipeline as unknown as WithWriteScript).falajOnlineWrite(keys.length, keys, args);
      }
      let written = 0;
      for (const [, result] of await exec(pipeline)) written += result as number;
      return { written, skipped: rows.length - written };
    },

    async read(project: string, entityKeys: readonly string[], views: readonly string[]): Promise<Array<Record<string, OnlineValue>>> {
      assertOnlineProject(project);
      assertOnlineViews(views);
      const n = entityKeys.length;
      const prefix = `${keyPrefix}:${project}:`;
      if (n === 1) {
        // The common serving call: a plain HMGET skips the pipeline's bookkeeping.
        const out: Record<string, OnlineValue> = {};
        if (views.length === 0) return [out];
        let raw: Array<string | null>;
        try {
          raw = await client.hmget(prefix + entityKeys[0]!, ...views);
        } catch (err) {
          throw failure(err);
        }
        decodeInto(out, views, raw);
        return [out];
      }
      const out: Array<Record<string, OnlineValue>> = new Array(n);
      for (let i = 0; i < n; i++) out[i] = {};
      if (n === 0 || views.length === 0) return out;
      const pipeline = client.pipeline();
      for (let i = 0; i < n; i++) pipeline.hmget(prefix + entityKeys[i]!, ...views);
      const results = await exec(pipeline);
      for (let i = 0; i < n; i++) decodeInto(out[i]!, views, results[i]![1] as Array<string | null>);
      return out;
    },

    async deleteView(project: string, view: string): Promise<number> {
      assertOnlineProject(project);
      assertOnlineView(view);
      // The project is glob-free (assertOnlineProject); the prefix may not be.
      const pattern = `${escapeGlob(keyPrefix)}:${project}:*`;
      const tsField = `${view}@t`;
      let removed = 0;
      let cursor = '0';
      do {
        let keys: string[];
        try {
          [cursor, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        } catch (err) {
          throw failure(err);
        }
        if (keys.length === 0) continue;
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.hdel(key, view, tsField);
        // SCAN may return a key twice; its second HDEL removes nothing, so no double count.
        for (const [, fields] of await exec(pipeline)) if ((fields as number) > 0) removed++;
      } while (cursor !== '0');
      return removed;
    },

    async ping(): Promise<void> {
      try {
        await client.ping();
      } catch (err) {
        throw failure(err);
      }
    },

    async close(): Promise<void> {
      if (client.status === 'end') return;
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** Fills `out` with the views HMGET found (`raw` is aligned with `views`). */
function decodeInto(out: Record<string, OnlineValue>, views: readonly string[], raw: Array<string | null>): void {
  for (let j = 0; j < views.length; j++) {
    const text = raw[j];
    if (text === null || text === undefined) continue;
    const stored = JSON.parse(text) as StoredValue;
    out[views[j]!] = { eventTs: stored.t, values: stored.v };
  }
}

/** Escapes Redis glob characters so a key prefix matches only itself in SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
