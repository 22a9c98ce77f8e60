import { join } from 'node:path';
import type { OnlineStore } from './online-store.js';

/** Options of {@link createOnlineStore}. */
export interface CreateOnlineStoreOptions {
  /** Falaj's data directory: the SQLite store defaults to `<dataDir>/online.db`. */
  dataDir: string;
  /** Redis only: first part of every key. Default `falaj`. */
  keyPrefix?: string;
}

/** True for a URL that names Redis rather than a SQLite file. */
export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//i.test(url);
}

/**
 * Opens the online store named by `url`: Redis for `redis://` and `rediss://`, otherwise
 * a SQLite file at that path (default `<dataDir>/online.db`).
 *
 * @example
 * ```ts
 * const online = await createOnlineStore(undefined, { dataDir: './.falaj' }); // SQLite
 * const shared = await createOnlineStore('redis://redis:6379', { dataDir: './.falaj' });
 * ```
 */
export async function createOnlineStore(url: string | undefined, options: CreateOnlineStoreOptions): Promise<OnlineStore> {
  if (url !== undefined && isRedisUrl(url)) {
    // loaded only when configured: ioredis costs ~20 MB of memory to a SQLite-only server
    const { createRedisOnlineStore } = await import('./redis-online-store.js');
    return createRedisOnlineStore({ url, ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }) });
  }
  // An empty URL counts as unset: better-sqlite3 would open an anonymous temporary file.
  const { createSqliteOnlineStore } = await import('./sqlite-online-store.js');
  return createSqliteOnlineStore({ path: url || join(options.dataDir, 'online.db') });
}
