// bench/online: the bench process's own handle on the server's online store (for the
// floor), and the Redis clean-up.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT, userId } from './falaj-server.js';

/**
 * Opens the store the server writes: a bare ioredis client, or the server's online.db
 * read-only through better-sqlite3. `pids` lists the processes whose CPU is part of the
 * serving path (the server; Redis when it runs on this machine).
 */
export async function openFloorStore({ engine, server, redisUrl, keyPrefix }) {
  if (engine === 'redis') {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl, { connectionName: 'falaj-bench-floor' });
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    const pids = [server.child.pid, ...(existsSync(`/proc/${redisPid}/stat`) ? [redisPid] : [])];
    const probe = await redis.hmget(`${keyPrefix}:${PROJECT}:user_id=${userId(0)}`, 'v0');
    if (probe[0] === null) throw new Error(`the floor finds no key ${keyPrefix}:${PROJECT}:user_id=${userId(0)}: has the key layout changed?`);
    return { engine, redis, keyPrefix, pids, close: () => redis.quit() };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(server.dataDir, 'online.db'), { readonly: true, fileMustExist: true });
  return { engine, db, pids: [server.child.pid], close: async () => db.close() };
}

/** Deletes every key under `<keyPrefix>:` (SCAN + DEL); returns how many. */
export async function deleteRedisKeys(redisUrl, keyPrefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl);
  let deleted = 0;
  let cursor = '0';
  try {
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
  return deleted;
}
