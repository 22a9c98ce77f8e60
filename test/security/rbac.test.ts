import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  can,
  GLOBAL_SCOPE,
  PERMISSIONS,
  registerAuth,
  ROLES,
  SYSTEM_PRINCIPAL,
  type Permission,
  type Principal,
  type Role,
} from '../../src/security/index.js';
import { registerErrorHandling } from '../../src/server/error-handler.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The matrix as documented (docs/security.md), written out by hand so that a change to
 * roles.ts that widens or narrows a role fails here.
 */
const ALL: Role[] = ['viewer', 'editor', 'deployer', 'admin', 'auditor'];
const MATRIX: Record<Permission, Role[]> = {
  'project:read': ALL,
  'policy:check': ALL,
  'feature:read': ALL,
  'dataset:read': ALL,
  'run:read': ALL,
  'model:read': ALL,
  'job:read': ALL,
  'deployment:read': ALL,
  'project:create': ['admin'],
  'project:update': ['admin'],
  'token:manage': ['admin'],
  'audit:read': ['admin', 'auditor'],
  'audit:verify': ['admin', 'auditor'],
  'metrics:read': ['admin', 'auditor'],
  'feature:write': ['admin', 'editor'],
  'dataset:write': ['admin', 'editor'],
  'materialize:run': ['admin', 'editor'],
  'run:write': ['admin', 'editor'],
  'model:write': ['admin', 'editor'],
  'job:write': ['admin', 'editor'],
  'artifact:read': ['admin', 'editor', 'deployer', 'auditor'],
  'deployment:write': ['admin', 'deployer'],
  'model:promote': ['admin', 'deployer'],
  'compute:manage': ['admin'],
};

const principal = (role: Role, project: string): Principal => ({ id: `p-${role}`, kind: 'user', name: role, via: 'token', bindings: [{ project, role }] });

describe('can(): the permission matrix', () => {
  it('covers every permission and role', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...PERMISSIONS].sort());
    expect([...ROLES].sort()).toEqual([...ALL].sort());
  });

  describe.each(ALL)('%s', (role) => {
    const granted = PERMISSIONS.filter((p) => MATRIX[p].includes(role));
    const refused = PERMISSIONS.filter((p) => !MATRIX[p].includes(role));

    it('bound to project alpha: exactly its permissions on alpha', () => {
      const who = principal(role, 'alpha');
      expect(PERMISSIONS.filter((p) => can(who, p, 'alpha'))).toEqual(granted);
    });

    it('bound to project alpha: nothing on project beta, nothing platform-wide', () => {
      const who = principal(role, 'alpha');
      expect(PERMISSIONS.filter((p) => can(who, p, 'beta'))).toEqual([]);
      expect(PERMISSIONS.filter((p) => can(who, p, GLOBAL_SCOPE))).toEqual([]);
    });

    it('bound globally: its permissions on every project and platform-wide', () => {
      const who = principal(role, GLOBAL_SCOPE);
      for (const scope of ['alpha', 'beta', GLOBAL_SCOPE]) expect(PERMISSIONS.filter((p) => can(who, p, scope))).toEqual(granted);
      expect(refused.some((p) => can(who, p, 'alpha'))).toBe(false);
    });
  });

  it('combines bindings: viewer on alpha plus editor on beta', () => {
    const who: Principal = { ...principal('viewer', 'alpha'), bindings: [{ project: 'alpha', role: 'viewer' }, { project: 'beta', role: 'editor' }] };
    expect(can(who, 'feature:write', 'beta')).toBe(true);
    expect(can(who, 'feature:write', 'alpha')).toBe(false);
    expect(can(who, 'feature:read', 'alpha')).toBe(true);
    expect(can(who, 'feature:read', 'gamma')).toBe(false);
  });

  it('a principal with no bindings can do nothing', () => {
    expect(PERMISSIONS.some((p) => can({ ...principal('admin', 'alpha'), bindings: [] }, p, 'alpha'))).toBe(false);
  });
});

describe('RBAC over HTTP', () => {
  let t: TestApp;
  const tokens = {} as Record<'alphaAdmin' | 'alphaEditor' | 'alphaAuditor' | 'globalAuditor' | 'betaViewer', string>;
  let betaTokenId: string;

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: t.auth(token), ...(payload ? { payload } : {}) });
  const expectStatus = async (res: Promise<{ statusCode: number; body: string; json(): any }>, status: number, code?: string) => {
    const r = await res;
    expect(r.statusCode, r.body).toBe(status);
    if (code) expect(r.json().code).toBe(code);
    return r;
  };

  beforeAll(async () => {
    t = await createTestApp();
    const system = { principal: SYSTEM_PRINCIPAL };
    for (const name of ['alpha', 'beta']) await t.services.projects.create(system, { name });
    const make = async (project: string, role: Role) => (await t.services.tokens.create(system, { project, role })).token;
    tokens.alphaAdmin = await make('alpha', 'admin');
    tokens.alphaEditor = await make('alpha', 'editor');
    tokens.alphaAuditor = await make('alpha', 'auditor');
    tokens.globalAuditor = await make(GLOBAL_SCOPE, 'auditor');
    const beta = await t.services.tokens.create(system, { project: 'beta', role: 'viewer' });
    tokens.betaViewer = beta.token;
    betaTokenId = beta.info.id;
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe('a project-scoped admin', () => {
    it('creates, lists and revokes tokens for its own project', async () => {
      const created = await expectStatus(call('POST', '/api/v1/projects/alpha/tokens', tokens.alphaAdmin, { role: 'viewer' }), 201);
      expect(created.json().info).toMatchObject({ project: 'alpha', role: 'viewer' });
      const listed = await expectStatus(call('GET', '/api/v1/projects/alpha/tokens', tokens.alphaAdmin), 200);
      expect(listed.json().tokens.every((x: { project: string }) => x.project === 'alpha')).toBe(true);
      await expectStatus(call('DELETE', `/api/v1/tokens/${created.json().info.id}`, tokens.alphaAdmin), 200);
    });

    it('cannot touch another project’s tokens', async () => {
      await expectStatus(call('POST', '/api/v1/projects/beta/tokens', tokens.alphaAdmin, { role: 'viewer' }), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/projects/beta/tokens', tokens.alphaAdmin), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('DELETE', `/api/v1/tokens/${betaTokenId}`, tokens.alphaAdmin), 403, 'FALAJ_PERMISSION_DENIED');
      const bootstrap = (await t.services.tokens.list(undefined)).find((x) => x.name === 'bootstrap-admin')!;
      await expectStatus(call('DELETE', `/api/v1/tokens/${bootstrap.id}`, tokens.alphaAdmin), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/whoami', tokens.betaViewer), 200); // still valid
    });

    it('cannot create or list platform-wide tokens', async () => {
      const before = (await t.services.tokens.list(undefined)).length;
      await expectStatus(call('POST', '/api/v1/tokens', tokens.alphaAdmin, { role: 'admin' }), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/tokens', tokens.alphaAdmin), 403, 'FALAJ_PERMISSION_DENIED');
      expect((await t.services.tokens.list(undefined)).length).toBe(before);
    });

    it('cannot create projects, but can update its own', async () => {
      await expectStatus(call('POST', '/api/v1/projects', tokens.alphaAdmin, { name: 'gamma' }), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/projects/gamma', t.adminToken), 404);
      await expectStatus(t.app.inject({ method: 'PATCH', url: '/api/v1/projects/alpha', headers: t.auth(tokens.alphaAdmin), payload: { description: 'ours' } }), 200);
      await expectStatus(t.app.inject({ method: 'PATCH', url: '/api/v1/projects/beta', headers: t.auth(tokens.alphaAdmin), payload: { description: 'theirs' } }), 403);
    });
  });

  it('an editor cannot manage tokens', async () => {
    await expectStatus(call('POST', '/api/v1/projects/alpha/tokens', tokens.alphaEditor, { role: 'viewer' }), 403, 'FALAJ_PERMISSION_DENIED');
    await expectStatus(call('GET', '/api/v1/projects/alpha/tokens', tokens.alphaEditor), 403, 'FALAJ_PERMISSION_DENIED');
  });

  describe('auditors', () => {
    it('a project auditor reads its project’s events, not the whole log nor another project', async () => {
      const own = await expectStatus(call('GET', '/api/v1/audit?project=alpha', tokens.alphaAuditor), 200);
      const events = own.json().events as { project: string }[];
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.project === 'alpha')).toBe(true);
      await expectStatus(call('GET', '/api/v1/audit', tokens.alphaAuditor), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/audit?project=beta', tokens.alphaAuditor), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('GET', '/api/v1/audit/verify', tokens.alphaAuditor), 403, 'FALAJ_PERMISSION_DENIED');
    });

    it('a global auditor reads everything and verifies, but changes nothing', async () => {
      const all = await expectStatus(call('GET', '/api/v1/audit', tokens.globalAuditor), 200);
      expect(new Set(all.json().events.map((e: { project: string | null }) => e.project))).toEqual(new Set([null, 'default', 'alpha', 'beta']));
      expect((await expectStatus(call('GET', '/api/v1/audit/verify', tokens.globalAuditor), 200)).json()).toMatchObject({ ok: true });
      await expectStatus(call('POST', '/api/v1/projects', tokens.globalAuditor, { name: 'by-auditor' }), 403, 'FALAJ_PERMISSION_DENIED');
      await expectStatus(call('POST', '/api/v1/projects/alpha/tokens', tokens.globalAuditor, { role: 'viewer' }), 403);
    });

    it('a viewer cannot read the audit log at all', async () => {
      await expectStatus(call('GET', '/api/v1/audit?project=beta', tokens.betaViewer), 403, 'FALAJ_PERMISSION_DENIED');
    });
  });

  it('listing projects shows only the bound ones', async () => {
    const names = async (token: string) => (await call('GET', '/api/v1/projects', token)).json().projects.map((p: { name: string }) => p.name).sort();
    expect(await names(tokens.alphaEditor)).toEqual(['alpha']);
    expect(await names(tokens.betaViewer)).toEqual(['beta']);
    expect(await names(tokens.globalAuditor)).toEqual(['alpha', 'beta', 'default']);
    expect(await names(t.adminToken)).toEqual(['alpha', 'beta', 'default']);
    await expectStatus(call('GET', '/api/v1/projects/beta', tokens.alphaEditor), 403, 'FALAJ_PERMISSION_DENIED');
  });

  describe('a route that declares no permission', () => {
    let app: FastifyInstance;
    let reached = 0;

    beforeAll(async () => {
      app = Fastify({ logger: false });
      registerErrorHandling(app, t.services.audit);
      registerAuth(app, t.services.authenticator);
      app.get('/undeclared', async () => ({ reached: ++reached }));
      app.post('/undeclared', async () => ({ reached: ++reached }));
      app.get('/projects/:project/declared', { config: { permission: 'project:read' } }, async () => ({ reached: ++reached }));
      app.get('/open', { config: { public: true } }, async () => ({ open: true }));
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
    });

    it('is refused to everyone, even a global admin, before its handler runs', async () => {
      for (const method of ['GET', 'POST'] as const) {
        const res = await app.inject({ method, url: '/undeclared', headers: t.auth() });
        expect(res.statusCode).toBe(403);
        expect(res.json().code).toBe('FALAJ_PERMISSION_UNDECLARED');
      }
      expect((await app.inject({ method: 'GET', url: '/undeclared' })).statusCode).toBe(401);
      expect(reached).toBe(0);
    });

    it('while a declared route beside it works as declared', async () => {
      expect((await app.inject({ method: 'GET', url: '/projects/alpha/declared', headers: t.auth(tokens.alphaEditor) })).statusCode).toBe(200);
      const denied = await app.inject({ method: 'GET', url: '/projects/beta/declared', headers: t.auth(tokens.alphaEditor) });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().code).toBe('FALAJ_PERMISSION_DENIED');
      expect((await app.inject({ method: 'GET', url: '/open' })).json()).toEqual({ open: true });
      expect(reached).toBe(1);
    });
  });
});
