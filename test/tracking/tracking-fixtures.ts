import type { RequestContext } from '../../src/security/index.js';
import type { Principal } from '../../src/security/rbac/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';

const pg = engineUrl('postgres');

/** SQLite always; PostgreSQL when FALAJ_TEST_POSTGRES_URL is set. */
export const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

export const TESTER: Principal = { id: 'usr_tester', kind: 'user', name: 'tester', bindings: [{ project: '*', role: 'admin' }], via: 'token' };
export const ctx: RequestContext = { principal: TESTER, requestId: 'req-tracking-test' };

export async function trackingApp(engine: MetadataEngine): Promise<TestApp> {
  return createTestApp(engine);
}

/** Rejects with a Falaj error carrying `code`; returns it for more checks. */
export async function failure(promise: Promise<unknown>, code: string): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e as Error & { code: string },
  );
  if (err.code !== code) throw new Error(`expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}
