import { expect } from 'vitest';
import type { AuditEvent, Principal, RequestContext, Role } from '../../src/security/index.js';
import { SYSTEM_PRINCIPAL } from '../../src/security/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../helpers/app.js';
import { engineUrl } from '../helpers/engines.js';

const postgresUrl = engineUrl('postgres');

/** Every metadata engine the registry runs on (PostgreSQL when FALAJ_TEST_POSTGRES_URL is set). */
export const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(postgresUrl ? [{ name: 'postgres' as const, url: postgresUrl }] : [])];
export const POSTGRES: MetadataEngine | undefined = postgresUrl ? { name: 'postgres', url: postgresUrl } : undefined;

export const PROJECT = 'default';

/** A user holding `role` on the default project. */
export function person(role: Role, id = `user-${role}`): Principal {
  return { id, kind: 'user', name: id, bindings: [{ project: PROJECT, role }], via: 'token' };
}

export const ctxOf = (principal: Principal): RequestContext => ({ principal, requestId: `req-${principal.id}` });
export const system: RequestContext = { principal: SYSTEM_PRINCIPAL };

export interface RegistryApp {
  t: TestApp;
  /** a new run in the default experiment, with `files` logged under it (paths → bytes) */
  logRun(files: Record<string, Buffer | string>, options?: { sourceVersion?: string }): Promise<string>;
  /** audit events of the default project with this action, oldest first */
  audit(action: string): Promise<AuditEvent[]>;
  /** a token for a new principal holding `role` on the default project */
  token(role: Role): Promise<string>;
  dispose(): Promise<void>;
  inject(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token?: string): Promise<{ statusCode: number; body: string; headers: Record<string, unknown>; json(): any; rawPayload: Buffer }>;
}

export async function registryApp(engine: MetadataEngine): Promise<RegistryApp> {
  const t = await createTestApp(engine);
  const experiment = await t.services.tracking.defaultExperiment(system, PROJECT);
  return {
    t,
    logRun: async (files, options = {}) => {
      const run = await t.services.tracking.createRun(system, PROJECT, { experimentId: experiment.id, ...(options.sourceVersion ? { sourceVersion: options.sourceVersion } : {}) });
      for (const [path, body] of Object.entries(files)) await t.services.artifacts.put(system, PROJECT, run.info.id, path, Buffer.from(body));
      return run.info.id;
    },
    audit: async (action) => (await t.services.audit.list({ project: PROJECT, action, limit: 1000 })),
    token: async (role) => {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/projects/${PROJECT}/tokens`, headers: t.auth(), payload: { role } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().token as string;
    },
    dispose: () => t.dispose(),
    inject: (method, url, payload, token) =>
      t.app.inject({ method, url, headers: t.auth(token), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) }) as never,
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to fail');
}
