import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/security/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';
import { applyOk, type Spec } from './fixtures.js';
import { deleteKeys, ONLINE_STORES } from './online-setup.js';

/**
 * Apps for the materialization, push and dataset suites: each on a fresh data directory
 * and online store (SQLite; Redis under a unique key prefix), with a settable clock.
 * The Redis run keeps its metadata in PostgreSQL when that URL is set, so leases,
 * watermarks and quarantine run on both metadata engines too.
 */
const postgresUrl = engineUrl('postgres');
export const STORES = ONLINE_STORES.map((s) => ({
  ...s,
  metadata: (s.url && postgresUrl ? { name: 'postgres', url: postgresUrl } : { name: 'sqlite' }) as MetadataEngine,
  label: `${s.name} online store, ${s.url && postgresUrl ? 'postgres' : 'sqlite'} metadata`,
}));
export type Store = (typeof STORES)[number];

export type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): any };

export interface StoreApp {
  t: TestApp;
  clock: { now(): Date; set(date: Date): void };
  post(url: string, payload: unknown): Promise<Res>;
  /** `POST …/materialize`: the HTTP status and the NDJSON lines. */
  materialize(body: Record<string, unknown>): Promise<{ statusCode: number; lines: any[] }>;
  /** `POST …/features/online` → per feature name: values, statuses, eventTimestamps. */
  online(features: string[], entities: Record<string, unknown[]>): Promise<Record<string, { values: unknown[]; statuses: string[]; eventTimestamps: string[] }>>;
  audit(action: string): Promise<{ resource: string; outcome: string; details: any }[]>;
  /** Takes the default project out of the online store's region (residency tests). */
  allowOnly(regions: string[]): Promise<void>;
  dispose(): Promise<void>;
}

export async function storeApp(store: Store, specs: Spec[], flags: Record<string, unknown> = {}, now = new Date('2024-06-01T13:00:00Z')): Promise<StoreApp> {
  const clock = { now: () => now, set: (d: Date) => void (now = d) };
  const prefix = store.url ? `falaj-test-${randomUUID()}` : undefined;
  const online = store.url ? { 'online.url': store.url, 'online.keyPrefix': prefix } : {};
  const t = await createTestApp(store.metadata, { ...online, ...flags }, { clock });
  expect(t.services.onlineStore.engine).toBe(store.name);
  if (specs.length > 0) await applyOk(t, specs);
  const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: t.auth(), payload: payload as Record<string, unknown> }) as Promise<Res>;
  return {
    t,
    clock,
    post,
    materialize: async (body) => {
      const res = await post('/api/v1/projects/default/materialize', body);
      const lines = res.statusCode === 200 ? res.body.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)) : [res.json()];
      return { statusCode: res.statusCode, lines };
    },
    online: async (features, entities) => {
      const res = await post('/api/v1/projects/default/features/online', { features, entities });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      return Object.fromEntries((body.featureNames as string[]).map((name, i) => [name, body.results[i]]));
    },
    audit: async (action) => (await t.services.audit.list({ project: 'default', limit: 1000 })).filter((e) => e.action === action),
    allowOnly: async (regions) => {
      await t.services.projects.update({ principal: SYSTEM_PRINCIPAL }, 'default', { allowedRegions: regions });
    },
    dispose: async () => {
      await t.dispose();
      if (store.url && prefix) await deleteKeys(store.url, prefix);
    },
  };
}


/** Writes `SELECT …` to a file with DuckDB's COPY (Parquet unless the path ends in .csv). */
export async function writeFile(path: string, select: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`COPY (${select}) TO '${path.replace(/'/g, "''")}' (FORMAT ${path.endsWith('.csv') ? 'csv, HEADER' : 'parquet'})`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return path;
}

/** Reads a Parquet file's rows as DuckDB gives them to JavaScript, BIGINTs as numbers. */
export async function readRows(path: string, order = ''): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet('${path.replace(/'/g, "''")}', hive_partitioning = false) ${order}`);
    const big = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
    return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, big(v)])));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export const iso = (ms: number | string) => new Date(ms).toISOString();
