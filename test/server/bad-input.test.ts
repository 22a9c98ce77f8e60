import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL, type Role } from '../../src/security/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const BODY_LIMIT = 2048;
/** A clock the tests move forward by hand (token expiry). */
const clock = { current: new Date('2030-01-01T00:00:00.000Z'), now() { return new Date(this.current); } };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ name: 'sqlite' }, { 'server.bodyLimitBytes': BODY_LIMIT }, { clock });
});
afterAll(async () => {
  await t.dispose();
});

const system = { principal: SYSTEM_PRINCIPAL };
const tokenFor = async (role: Role, project = 'default', expiresInMs?: number) =>
  t.services.tokens.create(system, { project, role, expiresInMs });

const json = (token?: string) => ({ ...t.auth(token), 'content-type': 'application/json' });
const createProject = (payload: string | object, headers: Record<string, string> = json()) =>
  t.app.inject({ method: 'POST', url: '/api/v1/projects', headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

/** Checks an RFC 9457 answer with our code, whose requestId matches the x-request-id header. */
function expectProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, any> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String) });
  expect(body.requestId).toEqual(expect.any(String));
  expect(res.headers['x-request-id']).toBe(body.requestId);
  return body;
}

const projectCount = async () => (await t.services.database.db.selectFrom('projects').select('name').execute()).length;

/** After a refused request: nothing half-written, the chain intact, the server alive. */
let before: number;
beforeEach(async () => {
  before = await projectCount();
});
async function expectNothingHalfWritten(): Promise<void> {
  expect(await projectCount()).toBe(before);
  expect(await t.services.audit.verify()).toMatchObject({ ok: true });
  const health = await t.app.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  expect(health.json()).toEqual({ status: 'ok' });
}

describe('malformed bodies', () => {
  it.each([
    ['truncated JSON', '{"name":'],
    ['an empty body', ''],
    ['a prototype-pollution key', '{"name":"polluted","__proto__":{"admin":true}}'],
  ])('%s → 400 FALAJ_INVALID_JSON', async (_what, payload) => {
    expectProblem(await createProject(payload), 400, 'FALAJ_INVALID_JSON');
    await expectNothingHalfWritten();
  });

  it('a wrong type → 400 FALAJ_VALIDATION_FAILED naming the field', async () => {
    const body = expectProblem(await createProject({ name: { nested: true } }), 400, 'FALAJ_VALIDATION_FAILED');
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.name', message: expect.any(String) })]));
    await expectNothingHalfWritten();
  });

  it('a number where a string belongs is refused, not coerced', async () => {
    // Ajv runs with coerceTypes: 'array' for every part, so bodies are coerced too:
    // { description: 12 } is stored as "12" and allowedRegions: "local" as ["local"].
    const res = await createProject({ name: 'coerced', description: 12 });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'body.description' })]);
    await expectNothingHalfWritten();
  });

  it('an unknown field → 400 naming it', async () => {
    const body = expectProblem(await createProject({ name: 'colourful', colour: 'red' }), 400, 'FALAJ_VALIDATION_FAILED');
    expect(body.errors).toEqual([expect.objectContaining({ path: 'body.colour' })]);
    await expectNothingHalfWritten();
  });

  it('a bad path parameter and a bad query → 400 naming them', async () => {
    const param = expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/projects/Not_A_Name', headers: t.auth() }), 400, 'FALAJ_VALIDATION_FAILED');
    expect(param.errors[0].path).toBe('params.project');
    const query = expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/audit?limit=lots', headers: t.auth() }), 400, 'FALAJ_VALIDATION_FAILED');
    expect(query.errors[0].path).toBe('querystring.limit');
  });

  it(`a body over server.bodyLimitBytes (${BODY_LIMIT}) → 413 FALAJ_PAYLOAD_TOO_LARGE`, async () => {
    const res = await createProject({ name: 'huge', description: 'x'.repeat(BODY_LIMIT + 100) });
    expectProblem(res, 413, 'FALAJ_PAYLOAD_TOO_LARGE');
    await expectNothingHalfWritten();
    // just under the limit is fine
    expect((await createProject({ name: 'just-fits', description: 'x'.repeat(BODY_LIMIT - 200) })).statusCode).toBe(201);
  });

  it('an unsupported content type → 415', async () => {
    const res = await createProject('<project name="xml"/>', { ...t.auth(), 'content-type': 'application/xml' });
    expectProblem(res, 415, 'FALAJ_UNSUPPORTED_MEDIA_TYPE');
    await expectNothingHalfWritten();
  });
});

describe('bad credentials', () => {
  it.each([
    ['no Authorization header', 'FALAJ_UNAUTHENTICATED', {}],
    ['a non-Bearer scheme', 'FALAJ_UNAUTHENTICATED', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['a garbage token', 'FALAJ_TOKEN_INVALID', { authorization: 'Bearer not-a-token' }],
    ['a well-formed but unknown token', 'FALAJ_TOKEN_INVALID', { authorization: 'Bearer flj_' + 'a'.repeat(43) }],
  ])('%s → 401 %s', async (_what, code, headers: Record<string, string>) => {
    const res = await createProject({ name: 'anonymous' }, { ...headers, 'content-type': 'application/json' });
    const body = expectProblem(res, 401, code);
    expect(body.detail).not.toContain('aaaaaaaa'); // never echoes the secret
    await expectNothingHalfWritten();
  });

  it('an expired token → 401 FALAJ_TOKEN_EXPIRED', async () => {
    const { token } = await tokenFor('viewer', 'default', 60_000);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.auth(token) })).statusCode).toBe(200);
    clock.current = new Date(clock.current.getTime() + 61_000);
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.auth(token) }), 401, 'FALAJ_TOKEN_EXPIRED');
    await expectNothingHalfWritten();
  });

  it('a revoked token → 401 FALAJ_TOKEN_REVOKED', async () => {
    const { token, info } = await tokenFor('editor');
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: t.auth() });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: t.auth(token) }), 401, 'FALAJ_TOKEN_REVOKED');
    await expectNothingHalfWritten();
  });
});

describe('refusals and domain errors', () => {
  it('a viewer creating a project → 403 FALAJ_PERMISSION_DENIED, audited as denied', async () => {
    const { token, info } = await tokenFor('viewer');
    const body = expectProblem(await createProject({ name: 'by-viewer' }, json(token)), 403, 'FALAJ_PERMISSION_DENIED');
    const [event] = (await t.services.audit.list({ limit: 1000 })).slice(-1);
    expect(event).toMatchObject({ actor: info.principalId, action: 'http.post', outcome: 'denied', requestId: body.requestId });
    expect(event!.details).toMatchObject({ code: 'FALAJ_PERMISSION_DENIED' });
    await expectNothingHalfWritten();
  });

  it('an unknown project → 404 FALAJ_PROJECT_NOT_FOUND', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/projects/nowhere', headers: t.auth() }), 404, 'FALAJ_PROJECT_NOT_FOUND');
    await expectNothingHalfWritten();
  });

  it('a duplicate project → 409 FALAJ_PROJECT_EXISTS, with no second audit event', async () => {
    expect((await createProject({ name: 'twice' })).statusCode).toBe(201);
    before = await projectCount();
    const { headSeq } = await t.services.audit.verify();
    expectProblem(await createProject({ name: 'twice', description: 'again' }), 409, 'FALAJ_PROJECT_EXISTS');
    expect((await t.services.audit.verify()).headSeq).toBe(headSeq);
    expect((await t.services.projects.get('twice')).description).toBe('');
    await expectNothingHalfWritten();
  });

  it('an unknown region → 422 FALAJ_REGION_UNKNOWN', async () => {
    const body = expectProblem(await createProject({ name: 'on-mars', allowedRegions: ['local', 'mars-1'] }), 422, 'FALAJ_REGION_UNKNOWN');
    expect(body.detail).toContain('mars-1');
    await expectNothingHalfWritten();
  });

  it('an unknown route → 404 FALAJ_ROUTE_NOT_FOUND, with or without credentials', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' }), 404, 'FALAJ_ROUTE_NOT_FOUND');
    expectProblem(await t.app.inject({ method: 'PUT', url: '/api/v1/projects', headers: t.auth() }), 404, 'FALAJ_ROUTE_NOT_FOUND');
    await expectNothingHalfWritten();
  });
});

describe('request ids', () => {
  it('echoes a safe x-request-id, in the header and the problem', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'client-req.42:a' } });
    expect(ok.headers['x-request-id']).toBe('client-req.42:a');
    const failed = await t.app.inject({ method: 'GET', url: '/api/v1/projects/nowhere', headers: { ...t.auth(), 'x-request-id': 'trace-123' } });
    expect(failed.json().requestId).toBe('trace-123');
    expect(failed.headers['x-request-id']).toBe('trace-123');
  });

  it('sends the request id on a 401 too', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { 'x-request-id': 'trace-401' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().requestId).toBe('trace-401');
    expect(res.headers['x-request-id']).toBe('trace-401');
  });

  it.each([['with spaces', 'has spaces'], ['with a newline', 'evil\nInjected: 1'], ['too long', 'a'.repeat(129)]])(
    'replaces an unsafe one (%s)',
    async (_what, given) => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/projects/nowhere', headers: { ...t.auth(), 'x-request-id': given } });
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.json().requestId).toBe(id);
    },
  );
});
