import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type FalajConfig } from '../../src/core/config/index.js';
import { buildApp, type BuildAppOptions, type FalajApp } from '../../src/server/index.js';

export interface TestApp extends FalajApp {
  adminToken: string;
  dataDir: string;
  /** `{ authorization: 'Bearer …' }` for inject() */
  auth(token?: string): Record<string, string>;
  dispose(): Promise<void>;
}

export type MetadataEngine = { name: 'sqlite' } | { name: 'postgres'; url: string };

/** A fresh schema name per test app, so PostgreSQL tests run in parallel safely. */
export const freshSchema = () => `t_${randomBytes(6).toString('hex')}`;

/** Builds a real app on a fresh data directory (and a fresh PostgreSQL schema). */
export async function createTestApp(
  engine: MetadataEngine = { name: 'sqlite' },
  flags: Record<string, unknown> = {},
  options: BuildAppOptions = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'falaj-test-'));
  const { config } = loadConfig({
    env: {},
    cwd: dataDir,
    flags: { dataDir, ...(engine.name === 'postgres' ? { 'metadata.url': engine.url, 'metadata.poolSize': 5 } : {}), ...flags },
  });
  const schema = engine.name === 'postgres' ? freshSchema() : undefined;
  const built = await buildApp(config as FalajConfig, { logger: false, ...(schema ? { metadataSchema: schema } : {}), ...options });
  const adminToken = built.services.bootstrapToken!;
  return {
    ...built,
    adminToken,
    dataDir,
    auth: (token = adminToken) => ({ authorization: `Bearer ${token}` }),
    dispose: async () => {
      if (schema) await dropSchema(built, schema);
      await built.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function dropSchema(app: FalajApp, schema: string): Promise<void> {
  const { sql } = await import('kysely');
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(app.services.database.db);
}
