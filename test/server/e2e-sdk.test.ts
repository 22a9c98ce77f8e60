import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajApiError, FalajClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { engineUrl } from '../helpers/engines.js';
import { createFreshDatabase, type FreshDatabase } from '../helpers/postgres-database.js';

/**
 * End to end over a real port, driven only through the SDK, as an operator's script
 * would: on embedded SQLite, and on PostgreSQL (a fresh database per run) when
 * FALAJ_TEST_POSTGRES_URL is set.
 */
type E2eEngine = { name: 'sqlite' } | { name: 'postgres'; url: string };

const pgUrl = engineUrl('postgres');
const ENGINES: E2eEngine[] = [{ name: 'sqlite' }, ...(pgUrl ? [{ name: 'postgres' as const, url: pgUrl }] : [])];

/** Returns the request ids the server answered with, in order, for every call `client` makes. */
function recordRequestIds(client: FalajClient): string[] {
  const ids: string[] = [];
  const transport = client.transport;
  const send = transport.request.bind(transport);
  transport.request = async (...args: Parameters<typeof send>) => {
    const res = await send(...args);
    ids.push(String(res.headers['x-request-id']));
    return res;
  };
  return ids;
}

async function rejection(promise: Promise<unknown>): Promise<FalajApiError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FalajApiError);
  return err as FalajApiError;
}

describe.each(ENGINES)('Falaj end to end over HTTP with the SDK, metadata on $name', (engine) => {
  let dataDir: string;
  let database: FreshDatabase | undefined;
  let server: RunningServer;
  let admin: FalajClient;
  const clients: FalajClient[] = [];
  const client = (token?: string) => {
    const c = new FalajClient({ baseUrl: server.url, token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'falaj-e2e-'));
    if (engine.name === 'postgres') database = await createFreshDatabase(engine.url);
    const { config } = loadConfig({
      env: {},
      cwd: dataDir,
      flags: { dataDir, 'server.port': 0, 'log.level': 'silent', ...(database ? { 'metadata.url': database.url } : {}) },
    });
    server = await startServer(config);
    expect(server.services.database.dialect).toBe(engine.name);
    expect(server.services.bootstrapToken).toMatch(/^flj_/);
    admin = client(server.services.bootstrapToken);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs the project and token lifecycle, and audits every change with its request id', async () => {
    const requestIds = recordRequestIds(admin);

    const me = await admin.whoami();
    expect(me.via).toBe('token');
    expect(me.bindings).toContainEqual({ project: '*', role: 'admin' });

    const created = await admin.projects.create({ name: 'fraud', description: 'card fraud', allowedRegions: ['local'] });
    const createId = requestIds.at(-1)!;
    expect(created).toMatchObject({ name: 'fraud', description: 'card fraud', allowedRegions: ['local'], createdBy: me.id });

    const names = (await admin.projects.list()).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'fraud']));

    const updated = await admin.projects.update('fraud', { description: 'card and wire fraud' });
    expect(updated.description).toBe('card and wire fraud');
    expect((await admin.projects.get('fraud')).description).toBe('card and wire fraud');

    const issued = await admin.tokens.create({ project: 'fraud', role: 'editor', name: 'ci', expiresIn: '1h' });
    const tokenCreateId = requestIds.at(-1)!;
    expect(issued.token).toMatch(/^flj_/);
    expect(issued.info).toMatchObject({ project: 'fraud', role: 'editor', name: 'ci', revokedAt: null });
    const lifetimeMs = Date.parse(issued.info.expiresAt!) - Date.parse(issued.info.createdAt);
    expect(lifetimeMs).toBe(3_600_000);

    const editor = client(issued.token);
    const editorMe = await editor.whoami();
    expect(editorMe.tokenId).toBe(issued.info.id);
    expect(editorMe.bindings).toEqual([{ project: 'fraud', role: 'editor' }]);
    // an editor may read its project but not create projects
    expect((await editor.projects.get('fraud')).name).toBe('fraud');
    expect((await rejection(editor.projects.create({ name: 'sneaky' }))).status).toBe(403);

    const revoked = await admin.tokens.revoke(issued.info.id);
    const revokeId = requestIds.at(-1)!;
    expect(revoked.revokedAt).not.toBeNull();

    const refused = await rejection(editor.whoami());
    expect(refused.status).toBe(401);
    expect(refused.code).toBe('FALAJ_TOKEN_REVOKED');
    expect(refused.requestId).toBeTruthy();

    const { events } = await admin.audit.list({ limit: 1000 });
    const find = (action: string) => events.filter((e) => e.action === action && e.outcome === 'success');
    expect(find('project.create').find((e) => e.resource.includes('fraud'))?.requestId).toBe(createId);
    expect(find('token.create').map((e) => e.requestId)).toContain(tokenCreateId);
    expect(find('token.revoke').map((e) => e.requestId)).toEqual([revokeId]);
    expect(new Set([createId, tokenCreateId, revokeId]).size).toBe(3);
    // the refused project creation is on the record too, naming the editor token's principal
    expect(events.some((e) => e.outcome === 'denied' && e.actor === editorMe.id)).toBe(true);

    const verification = await admin.audit.verify();
    expect(verification).toMatchObject({ ok: true });
    expect(verification.checked).toBe(events.length);
  });

  it('serves Prometheus metrics by route template, with a latency histogram', async () => {
    await admin.projects.list();
    const text = await admin.metrics();
    const counter = text.split('\n').filter((l) => l.startsWith('falaj_http_requests_total{') && l.includes('route="/api/v1/projects"'));
    expect(counter.length).toBeGreaterThan(0);
    expect(Number(counter[0]!.split(' ').at(-1))).toBeGreaterThan(0);
    expect(text).toContain('# TYPE falaj_http_request_duration_seconds histogram');
    expect(text).toMatch(/falaj_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/);
    // raw URLs never become labels: a project name stays inside its template
    expect(text).not.toMatch(/route="\/api\/v1\/projects\/fraud"/);
  });

  it('refuses /metrics to a caller without a token', async () => {
    const err = await rejection(client().metrics());
    expect(err.status).toBe(401);
    expect(err.code).toBe('FALAJ_UNAUTHENTICATED');
  });

  it('describes itself as OpenAPI 3.1, publicly', async () => {
    const doc = (await client().openapi()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/projects', '/api/v1/whoami', '/api/v1/audit/verify']));
  });

  it('answers health and readiness without a token, and nothing else', async () => {
    const anonymous = client();
    expect(await anonymous.health()).toEqual({ status: 'ok' });
    expect(await anonymous.ready()).toEqual({ status: 'ready', checks: { metadata: 'ok', online: 'ok' } });
    const err = await rejection(anonymous.projects.list());
    expect(err.status).toBe(401);
  });
});
