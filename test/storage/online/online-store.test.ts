import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOnlineStore, type OnlineStore } from '../../../src/storage/online/index.js';
import { createRedisOnlineStore } from '../../../src/storage/online/redis-online-store.js';
import { createSqliteOnlineStore } from '../../../src/storage/online/sqlite-online-store.js';
import { engineUrl } from '../../helpers/engines.js';
import { describeOnlineStoreConformance } from './online-store.conformance.js';

describe('sqlite online store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-online-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describeOnlineStoreConformance('sqlite', async () => createSqliteOnlineStore({ path: join(dir, 'online.db') }));

  it('createOnlineStore picks SQLite at <dataDir>/online.db without a Redis URL', async () => {
    const store = await createOnlineStore(undefined, { dataDir: dir });
    expect(store.engine).toBe('sqlite');
    await store.write('p', [{ entityKey: 'e', view: 'v', eventTs: 1, values: { x: 1 } }]);
    await store.close();
    const reopened = createSqliteOnlineStore({ path: join(dir, 'online.db') });
    expect(await reopened.read('p', ['e'], ['v'])).toEqual([{ v: { eventTs: 1, values: { x: 1 } } }]);
    await reopened.close();
  });
});

const redisUrl = engineUrl('redis');

describe.skipIf(!redisUrl)('redis online store', () => {
  const url = redisUrl!;
  let admin: Redis;
  let keyPrefix: string;

  beforeAll(() => {
    admin = new Redis(url, { lazyConnect: true });
  });
  afterAll(() => admin.quit());
  beforeEach(() => {
    keyPrefix = `falaj-test-${randomUUID()}`;
  });
  afterEach(async () => {
    // Each test owns its key prefix; remove whatever it left.
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  });

  describeOnlineStoreConformance('redis', () => createRedisOnlineStore({ url, keyPrefix }));

  it('createOnlineStore picks Redis for redis:// URLs', async () => {
    const store = await createOnlineStore(url, { dataDir: '/nonexistent', keyPrefix });
    expect(store.engine).toBe('redis');
    await store.write('p', [{ entityKey: 'e', view: 'v', eventTs: 1, values: { x: 1 } }]);
    expect(await admin.hgetall(`${keyPrefix}:p:e`)).toEqual({ v: '{"t":1,"v":{"x":1}}', 'v@t': '1' });
    await store.close();
  });

  it('reads N entity keys × M views with N HMGETs in one socket write', async () => {
    const store = await createRedisOnlineStore({ url, keyPrefix });
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const views = ['a', 'b', 'c', 'absent'];
    await store.write('p', keys.flatMap((k, i) => ['a', 'b', 'c'].map((view) => ({ entityKey: k, view, eventTs: i, values: { k } }))));

    const seen: string[][] = [];
    const monitor = await admin.monitor();
    const sentinel = `${keyPrefix}:sentinel`;
    const sentinelSeen = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[1] === sentinel) resolve();
        else if (args.some((arg) => arg.startsWith(`${keyPrefix}:`))) seen.push(args);
      });
    });
    const write = vi.spyOn(Socket.prototype, 'write');
    try {
      const result = await store.read('p', keys, views);
      const writesWithOurKeys = write.mock.calls.filter(([data]) => String(data).includes(`${keyPrefix}:`));
      expect(writesWithOurKeys).toHaveLength(1); // one pipeline: one round trip
      expect(result.map((r) => Object.keys(r).sort())).toEqual(keys.map(() => ['a', 'b', 'c']));
    } finally {
      write.mockRestore();
    }
    // MONITOR lists commands in execution order, so the sentinel comes after the read's.
    await admin.exists(sentinel);
    await sentinelSeen;
    monitor.disconnect();
    expect(seen).toEqual(keys.map((k) => ['hmget', `${keyPrefix}:p:${k}`, ...views]));
    await store.close();
  });

  it('fails fast with FALAJ_ONLINE_STORE_UNAVAILABLE when Redis is down, without the password', async () => {
    const port = await closedPort();
    const started = Date.now();
    const error = await createRedisOnlineStore({ url: `redis://falaj:hunter2@127.0.0.1:${port}`, keyPrefix }).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toMatchObject({ name: 'UnavailableError', code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
    const message = (error as Error).message;
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).not.toContain('hunter2');
    expect(JSON.stringify((error as Error & { details?: unknown }).details)).not.toContain('hunter2');
  });

  it('fails fast while Redis goes away after connecting, and serves again once it is back', async () => {
    const target = new URL(url);
    const proxy = await startProxy(Number(target.port || 6379), target.hostname);
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const store = await createRedisOnlineStore({ url: proxied.toString(), keyPrefix });
    try {
      await store.write('p', [{ entityKey: 'e', view: 'v', eventTs: 1, values: { x: 1 } }]);
      await proxy.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await expect(store.read('p', ['e'], ['v'])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
      await expect(store.read('p', ['e', 'f'], ['v'])).rejects.toMatchObject({ code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
      await expect(store.write('p', [{ entityKey: 'e', view: 'v', eventTs: 2, values: {} }])).rejects.toMatchObject({
        code: 'FALAJ_ONLINE_STORE_UNAVAILABLE',
      });
      await expect(store.ping()).rejects.toMatchObject({ code: 'FALAJ_ONLINE_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);

      await proxy.restart();
      await vi.waitFor(() => store.ping(), { timeout: 5000, interval: 100 });
      expect(await store.read('p', ['e'], ['v'])).toEqual([{ v: { eventTs: 1, values: { x: 1 } } }]);
    } finally {
      await store.close();
      await proxy.stop();
    }
  });
});

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to Redis that a test can stop (dropping every connection) and restart on the same port. */
async function startProxy(targetPort: number, targetHost: string): Promise<{ port: number; stop(): Promise<void>; restart(): Promise<void> }> {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        upstream.connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const port = await listen(0);
  return {
    port,
    async stop() {
      const current = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    async restart() {
      await listen(port);
    },
  };
}
