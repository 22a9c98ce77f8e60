import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type MetadataEngine, type TestApp } from '../../helpers/app.js';
import { engineUrl } from '../../helpers/engines.js';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';

/**
 * OIDC sign-in through the whole app: a real OpenID Provider mints access tokens, the
 * server verifies them, maps groups to role bindings and audits under a stable
 * principal id per subject.
 */
const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

interface WhoAmI {
  id: string;
  name: string;
  via: string;
  bindings: { project: string; role: string }[];
}

describe.each(ENGINES)('OIDC access tokens against the app, metadata on $name', (engine) => {
  let idp: TestOidcProvider;
  let app: TestApp;

  const call = async (token: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await app.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const whoami = async (token: string) => {
    const res = await call(token, 'GET', '/api/v1/whoami');
    expect(res.status).toBe(200);
    return res.body as unknown as WhoAmI;
  };

  beforeAll(async () => {
    idp = await startOidcProvider({ groups: [] });
    app = await createTestApp(engine, {
      'security.oidc': {
        issuer: idp.issuer,
        audience: idp.audience,
        groupsClaim: 'groups',
        usernameClaim: 'sub',
        clockSkewSeconds: 5,
        groupRoles: [
          { group: 'ml-engineers', role: 'editor', project: 'default' },
          { group: 'platform', role: 'admin', project: '*' },
        ],
      },
    });
  });

  afterAll(async () => {
    await app?.dispose();
    await idp?.close();
  });

  it('maps the ml-engineers group to editor on project default, and nothing more', async () => {
    const token = await idp.mintAccessToken({ groups: ['ml-engineers'] });
    const me = await whoami(token);
    expect(me.via).toBe('oidc');
    expect(me.name).toBe(idp.clientId); // usernameClaim: sub
    expect(me.id).toMatch(/^prn_/);
    expect(me.bindings).toEqual([{ project: 'default', role: 'editor' }]);

    const read = await call(token, 'GET', '/api/v1/projects/default');
    expect(read.status).toBe(200);
    expect(read.body.name).toBe('default');

    const create = await call(token, 'POST', '/api/v1/projects', { name: 'not-allowed', allowedRegions: ['local'] });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('FALAJ_PERMISSION_DENIED');
    const missing = await call(app.adminToken, 'GET', '/api/v1/projects/not-allowed');
    expect(missing.status).toBe(404);
  });

  it('grants nothing to a user in no mapped group', async () => {
    const token = await idp.mintAccessToken({ groups: ['visitors'] });
    expect((await whoami(token)).bindings).toEqual([]);
    const read = await call(token, 'GET', '/api/v1/projects/default');
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('FALAJ_PERMISSION_DENIED');
  });

  it('lets the platform group create projects, audited under a principal id stable across tokens', async () => {
    const first = await idp.mintAccessToken({ groups: ['platform'] });
    const me = await whoami(first);
    expect(me.bindings).toEqual([{ project: '*', role: 'admin' }]);

    const created = await call(first, 'POST', '/api/v1/projects', { name: 'oidc-made', allowedRegions: ['local'] });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe(me.id);

    const second = await idp.mintAccessToken({ groups: ['platform'] });
    expect(second).not.toBe(first);
    expect((await whoami(second)).id).toBe(me.id);

    const audit = await call(app.adminToken, 'GET', '/api/v1/audit?action=project.create&limit=1000');
    expect(audit.status).toBe(200);
    const events = audit.body.events as { actor: string; resource: string; outcome: string }[];
    const event = events.find((e) => e.resource.includes('oidc-made'));
    expect(event).toMatchObject({ actor: me.id, outcome: 'success' });
  });

  it('rejects a token minted for another audience', async () => {
    const token = await idp.mintAccessToken({ groups: ['platform'], audience: 'urn:someone:else' });
    const res = await call(token, 'GET', '/api/v1/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('FALAJ_OIDC_TOKEN_INVALID');
  });

  it('rejects a token whose signature was tampered with', async () => {
    const token = await idp.mintAccessToken({ groups: ['ml-engineers'] });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, groups: ['platform'] })).toString('base64url');
    const res = await call([header, forged, signature].join('.'), 'GET', '/api/v1/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('FALAJ_OIDC_TOKEN_INVALID');
  });

  it('still accepts Falaj API tokens beside OIDC', async () => {
    expect((await whoami(app.adminToken)).via).toBe('token');
  });
});

describe('a JWT sent to a server without OIDC', () => {
  let idp: TestOidcProvider;
  let app: TestApp;

  beforeAll(async () => {
    idp = await startOidcProvider({ groups: ['platform'] });
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.dispose();
    await idp?.close();
  });

  it('is refused with FALAJ_OIDC_NOT_CONFIGURED', async () => {
    const token = await idp.mintAccessToken();
    const res = await app.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'FALAJ_OIDC_NOT_CONFIGURED', status: 401 });
  });
});
