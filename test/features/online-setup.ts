import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { entityKey } from '../../src/features/definitions/resolved.js';
import type { OnlineRow } from '../../src/storage/online/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';
import { applyOk, driver, driverStats, flights, route, routeStats, trips, type Spec } from './fixtures.js';

/** The online stores every retrieval suite runs on: SQLite always, Redis when its URL is set. */
const redisUrl = engineUrl('redis');
export const ONLINE_STORES: { name: 'sqlite' | 'redis'; url?: string }[] = [{ name: 'sqlite' }, ...(redisUrl ? [{ name: 'redis' as const, url: redisUrl }] : [])];

export const T0 = new Date('2024-06-01T12:00:00.000Z');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Definitions: two views over `driver` (one with a 1h TTL, one unbounded), one over the composite `route`. */
export const DEFINITIONS: Spec[] = [
  driver,
  route,
  trips,
  flights,
  driverStats({ ttl: '1h' }),
  driverStats({ name: 'driver_city', ttl: '0', features: [{ name: 'city', type: 'string' }] }),
  routeStats({ ttl: '1d' }),
  driverStats({ name: 'driver_fares', online: false, features: [{ name: 'fare', type: 'float64' }] }),
  { kind: 'FeatureService', name: 'driver_model', features: ['driver_stats:*', 'driver_city:city', 'route_stats:route_distance'] },
  { kind: 'FeatureService', name: 'fares_model', features: ['driver_fares:*'] },
];

export const driverKey = (id: number) => entityKey(['driver_id'], [id]);
/** The view's join keys are sorted: destination before origin. */
export const routeKey = (origin: string, destination: string) => entityKey(['destination', 'origin'], [destination, origin]);

export interface OnlineTestApp {
  t: TestApp;
  clock: { now(): Date; set(date: Date): void };
  prefix: string | undefined;
  write(rows: OnlineRow[]): Promise<void>;
  /** Our route (camelCase). */
  online(body: Record<string, unknown>): Promise<{ statusCode: number; body: string; json(): any }>;
  /** Feast's feature-server route (snake_case). */
  feast(body: Record<string, unknown>): Promise<{ statusCode: number; body: string; json(): any }>;
  dispose(): Promise<void>;
}

export async function onlineTestApp(store: (typeof ONLINE_STORES)[number]): Promise<OnlineTestApp> {
  let now = T0;
  const clock = { now: () => now, set: (d: Date) => void (now = d) };
  const prefix = store.url ? `falaj-test-${randomUUID()}` : undefined;
  const flags = store.url ? { 'online.url': store.url, 'online.keyPrefix': prefix } : {};
  const t = await createTestApp({ name: 'sqlite' }, flags, { clock });
  expect(t.services.onlineStore.engine).toBe(store.name);
  await applyOk(t, DEFINITIONS);
  const inject = (url: string) => (body: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers: t.auth(), payload: body });
  return {
    t,
    clock,
    prefix,
    write: async (rows) => {
      await t.services.onlineStore.write('default', rows);
    },
    online: inject('/api/v1/projects/default/features/online'),
    feast: inject('/get-online-features'),
    dispose: async () => {
      await t.dispose();
      if (store.url && prefix) await deleteKeys(store.url, prefix);
    },
  };
}

/** Removes every Redis key under a test's prefix. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

/** `INFO commandstats` as command → calls. */
export async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await admin.info('commandstats')).split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
