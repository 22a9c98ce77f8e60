import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasetName, jobName, LineageService, runEvent, type LineageServiceOptions, type RunEvent } from '../../../src/data/lineage/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { ENGINES } from '../../registry/registry-app.js';
import { freshProject } from './lineage-fixtures.js';

/** A real HTTP endpoint (what Marquez's POST /api/v1/lineage is to us) that records what it is sent. */
interface Endpoint {
  url: string;
  received: { headers: IncomingHttpHeaders; body: RunEvent }[];
  /** decides each answer; default 201 */
  answer: (n: number, res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startEndpoint(): Promise<Endpoint> {
  const endpoint: Endpoint = { url: '', received: [], answer: (_n, res) => res.writeHead(201).end(), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      endpoint.received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      endpoint.answer(endpoint.received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
  endpoint.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return endpoint;
}

/** A URL nothing listens on (a port just freed). */
async function deadUrl(): Promise<string> {
  const e = await startEndpoint();
  await e.close();
  return e.url;
}

/** Waits (generously) until `check` holds; these tests assert what happens, never how fast. */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const event = (job: string, project = 'default') => runEvent({ eventType: 'COMPLETE', project, job, inputs: [datasetName.source('trips')], outputs: [datasetName.view(job)] });
const names = (e: Endpoint) => e.received.map((r) => r.body.job.name);

describe.each(ENGINES)('forwarding to an OpenLineage endpoint, metadata on $name', (engine) => {
  let t: TestApp;
  const open: { close(): Promise<void> }[] = [];
  beforeEach(async () => {
    // a database per test: the outbox is shared by every service over it
    t = await createTestApp(engine);
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    await t?.dispose();
  });

  const endpoint = async () => {
    const e = await startEndpoint();
    open.push(e);
    return e;
  };
  /** A LineageService over the test app's database: one replica, as far as forwarding goes. */
  const service = (forward: LineageServiceOptions['forward'], warnings: Error[] = []) => {
    const s = new LineageService(t.services.database.db, t.services.projects, t.services.audit, { forward: forward && { pollMs: 50, ...forward }, onError: (e) => warnings.push(e) });
    open.push(s);
    return s;
  };
  const outbox = () => t.services.database.db.selectFrom('lineage_outbox').selectAll().orderBy('seq').orderBy('event_id').execute();

  it('sends each stored event as-is, with the api key as a Bearer token', async () => {
    const e = await endpoint();
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, apiKey: 'ol-secret-key', timeoutMs: 2000 }, warnings);
    const project = await freshProject(t);
    const sent = event(jobName.materialize('trip_stats'), project);
    await lineage.emit(sent);
    expect(await lineage.flush(10_000)).toBe(true);
    expect(e.received).toHaveLength(1);
    expect(e.received[0]!.body).toEqual(sent);
    expect(e.received[0]!.headers.authorization).toBe('Bearer ol-secret-key');
    expect(e.received[0]!.headers['content-type']).toBe('application/json');
    expect(await lineage.forwarding()).toEqual({ queued: 0, sent: 1, dropped: 0, failedAttempts: 0 });
    expect(await outbox()).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('never fails emit when the endpoint is down, and waits for it however long: nothing is dropped, the warning hides the key', async () => {
    const warnings: Error[] = [];
    const lineage = service({ url: await deadUrl(), apiKey: 'ol-secret-key', timeoutMs: 1000, maxAttempts: 2, retryDelayMs: 5 }, warnings);
    const project = await freshProject(t);
    const result = await lineage.emit(event(jobName.materialize('v'), project));
    expect(result.edges).toBe(1);
    expect(await lineage.listEvents(project)).toHaveLength(1);
    await until(async () => ((await lineage.forwarding())?.failedAttempts ?? 0) >= 4);
    expect(await lineage.forwarding()).toMatchObject({ queued: 1, sent: 0, dropped: 0 });
    const [row] = await outbox();
    expect(row).toMatchObject({ refusals: 0, last_error: expect.any(String) });
    expect(Number(row!.attempts)).toBeGreaterThanOrEqual(4);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('failed')]);
    expect((warnings[0] as Error & { code: string }).code).toBe('FALAJ_LINEAGE_FORWARD_FAILED');
    expect(warnings.some((w) => w.message.includes('ol-secret-key'))).toBe(false);
  });

  it('drops an event that an endpoint which is up fails maxAttempts times (HTTP 500), and sends the next', async () => {
    const e = await endpoint();
    e.answer = (_n, res) => res.writeHead(e.received.at(-1)!.body.job.name === 'poison' ? 500 : 201).end();
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, maxAttempts: 3, retryDelayMs: 5 }, warnings);
    await lineage.emit(event('poison'));
    await lineage.emit(event('fine'));
    expect(await lineage.flush(10_000)).toBe(true);
    expect(names(e)).toEqual(['poison', 'poison', 'poison', 'fine']);
    expect(await lineage.forwarding()).toEqual({ queued: 0, sent: 1, dropped: 1, failedAttempts: 3 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('(HTTP 500); retrying'), expect.stringContaining('HTTP 500 after 3 tries; the event was dropped'), expect.stringContaining('works again; 1 event(s) were dropped')]);
    expect(await lineage.listEvents('default')).toEqual(expect.arrayContaining([expect.objectContaining({ job: expect.objectContaining({ name: 'poison' }) })]));
  });

  it('retries an endpoint that is briefly unavailable and delivers in order', async () => {
    const e = await endpoint();
    e.answer = (n, res) => res.writeHead(n <= 2 ? 503 : 200).end();
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, retryDelayMs: 5 }, warnings);
    await lineage.emit(event('first'));
    await lineage.emit(event('second'));
    expect(await lineage.flush(10_000)).toBe(true);
    expect(names(e)).toEqual(['first', 'first', 'first', 'second']);
    expect(await lineage.forwarding()).toEqual({ queued: 0, sent: 2, dropped: 0, failedAttempts: 2 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('(HTTP 503); retrying'), expect.stringContaining('works again')]);
  });

  it('drops an event the endpoint refuses (4xx) at once, takes it out of the outbox, and sends the next', async () => {
    const e = await endpoint();
    e.answer = (n, res) => res.writeHead(n === 1 ? 400 : 201).end();
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, retryDelayMs: 5 }, warnings);
    await lineage.emit(event('refused'));
    await lineage.emit(event('accepted'));
    expect(await lineage.flush(10_000)).toBe(true);
    expect(names(e)).toEqual(['refused', 'accepted']);
    expect(await lineage.forwarding()).toEqual({ queued: 0, sent: 1, dropped: 1, failedAttempts: 1 });
    expect(await outbox()).toEqual([]);
    expect(warnings[0]!.message).toContain('HTTP 400 (the event was refused)');
  });

  it('waits out an endpoint that stops answering (timeouts), then sends everything in order', async () => {
    const e = await endpoint();
    const held: ServerResponse[] = [];
    e.answer = (_n, res) => void held.push(res); // never answers
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, timeoutMs: 200, maxAttempts: 1, retryDelayMs: 5 }, warnings);
    for (const name of ['a', 'b', 'c']) await lineage.emit(event(name));
    await until(async () => ((await lineage.forwarding())?.failedAttempts ?? 0) >= 2);
    expect(await lineage.forwarding()).toMatchObject({ queued: 3, sent: 0, dropped: 0 });
    expect(new Set(names(e))).toEqual(new Set(['a']));
    e.answer = (_n, res) => res.writeHead(201).end();
    expect(await lineage.flush(20_000)).toBe(true);
    expect(names(e).filter((n) => n !== 'a')).toEqual(['b', 'c']);
    expect(await lineage.forwarding()).toMatchObject({ queued: 0, sent: 3, dropped: 0 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('no answer in 200 ms); retrying'), expect.stringContaining('works again')]);
    for (const res of held) res.destroy();
  });

  it('sends the events stored while the endpoint was down after a restart, each once, in order', async () => {
    const down = service({ url: await deadUrl(), retryDelayMs: 50, maxAttempts: 1000 });
    const sent: RunEvent[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(event(`job-${i}`));
      await down.emit(sent[i]!);
    }
    await until(async () => (await down.forwarding())!.failedAttempts >= 1);
    await down.close();
    const waiting = await outbox();
    expect(waiting).toHaveLength(5);
    expect(waiting[0]!.attempts).toBeGreaterThanOrEqual(1);
    expect(waiting[0]!.last_error).toMatch(/fetch failed/); // the network error, as the warning names it

    // a new process over the same database, with the endpoint up
    const e = await endpoint();
    const restarted = service({ url: e.url, retryDelayMs: 50 });
    expect(await restarted.flush(10_000)).toBe(true);
    expect(e.received.map((r) => r.body)).toEqual(sent);
    expect(await restarted.forwarding()).toEqual({ queued: 0, sent: 5, dropped: 0, failedAttempts: 0 });
  });

  it('lets one replica forward at a time: two services over one database send each event once, and the other takes over when it stops', async () => {
    const e = await endpoint();
    const a = service({ url: e.url });
    const b = service({ url: e.url });
    const sent: RunEvent[] = [];
    for (let i = 0; i < 10; i++) {
      sent.push(event(`job-${i}`));
      await (i % 2 ? b : a).emit(sent[i]!);
    }
    expect(await a.flush(10_000)).toBe(true);
    expect(await b.flush(10_000)).toBe(true);
    expect(e.received.map((r) => r.body)).toEqual(sent);
    const aSent = (await a.forwarding())!.sent;
    const bSent = (await b.forwarding())!.sent;
    expect([aSent, bSent].sort((x, y) => x - y)).toEqual([0, 10]);

    const [forwarding, standby] = aSent === 10 ? [a, b] : [b, a];
    await forwarding.close();
    const later = event('after-takeover');
    await standby.emit(later);
    expect(await standby.flush(10_000)).toBe(true);
    expect(e.received.map((r) => r.body)).toEqual([...sent, later]);
    expect((await standby.forwarding())!.sent).toBe(1);
  });

  it('leaves unsent events in the outbox on close, with their tries, and keeps storing into it', async () => {
    const e = await endpoint();
    e.answer = (_n, res) => res.writeHead(503).end();
    const warnings: Error[] = [];
    const lineage = service({ url: e.url, apiKey: 'ol-secret-key', retryDelayMs: 60_000 }, warnings);
    const stuck = await lineage.emit(event('stuck'));
    await until(async () => (await lineage.forwarding())!.failedAttempts >= 1);
    await lineage.close();
    const [row] = await outbox();
    expect(row).toMatchObject({ event_id: stuck.id, attempts: 1, last_error: 'HTTP 503' });
    expect(Date.parse(row!.next_attempt_at)).toBeGreaterThan(Date.parse(row!.created_at));
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('(HTTP 503); retrying')]);

    const after = await lineage.emit(event('after-close'));
    expect((await outbox()).map((r) => r.event_id)).toEqual([stuck.id, after.id]);
    expect((await lineage.forwarding())!.queued).toBe(2);
    expect(e.received).toHaveLength(1);
  });
});
