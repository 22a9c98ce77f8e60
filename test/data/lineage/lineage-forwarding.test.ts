import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { datasetName, jobName, LineageForwarder, LineageService, runEvent, type LineageServiceOptions, type RunEvent } from '../../../src/data/lineage/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
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

const event = (job: string, project = 'default') => runEvent({ eventType: 'COMPLETE', project, job, inputs: [datasetName.source('trips')], outputs: [datasetName.view(job)] });

describe('forwarding to an OpenLineage endpoint', () => {
  let t: TestApp;
  let endpoint: Endpoint;
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
    await endpoint?.close();
  });
  afterAll(async () => t?.dispose());

  const service = (forward: LineageServiceOptions['forward'], warnings: Error[]) => {
    const s = new LineageService(t.services.database.db, t.services.projects, t.services.audit, { forward, onError: (e) => warnings.push(e) });
    open.push(s);
    return s;
  };

  it('sends each stored event as-is, with the api key as a Bearer token', async () => {
    endpoint = await startEndpoint();
    const warnings: Error[] = [];
    const lineage = service({ url: endpoint.url, apiKey: 'ol-secret-key', timeoutMs: 2000 }, warnings);
    const project = await freshProject(t);
    const sent = event(jobName.materialize('trip_stats'), project);
    await lineage.emit(sent);
    expect(await lineage.flush(5000)).toBe(true);
    expect(endpoint.received).toHaveLength(1);
    expect(endpoint.received[0]!.body).toEqual(sent);
    expect(endpoint.received[0]!.headers.authorization).toBe('Bearer ol-secret-key');
    expect(endpoint.received[0]!.headers['content-type']).toBe('application/json');
    expect(lineage.forwarding()).toEqual({ queued: 0, sent: 1, dropped: 0, failedAttempts: 0 });
    expect(warnings).toEqual([]);
  });

  it('never fails emit when the endpoint is down: the event is stored, retried, then dropped with a warning that hides the key', async () => {
    const warnings: Error[] = [];
    const lineage = service({ url: await deadUrl(), apiKey: 'ol-secret-key', timeoutMs: 1000, maxAttempts: 3, retryDelayMs: 5 }, warnings);
    const project = await freshProject(t);
    const result = await lineage.emit(event(jobName.materialize('v'), project));
    expect(result.edges).toBe(1);
    expect(await lineage.listEvents(project)).toHaveLength(1);
    expect(await lineage.flush(5000)).toBe(true);
    expect(lineage.forwarding()).toEqual({ queued: 0, sent: 0, dropped: 1, failedAttempts: 3 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('failed'), expect.stringContaining('dropped')]);
    expect(warnings[1]!.message).toContain('after 3 tries');
    expect((warnings[0] as Error & { code: string }).code).toBe('FALAJ_LINEAGE_FORWARD_FAILED');
    expect(warnings.some((w) => w.message.includes('ol-secret-key'))).toBe(false);
  });

  it('retries an endpoint that is briefly unavailable and delivers in order', async () => {
    endpoint = await startEndpoint();
    endpoint.answer = (n, res) => res.writeHead(n <= 2 ? 503 : 200).end();
    const warnings: Error[] = [];
    const forwarder = new LineageForwarder({ url: endpoint.url, retryDelayMs: 5, onError: (e) => warnings.push(e) });
    open.push(forwarder);
    forwarder.enqueue(event('first'));
    forwarder.enqueue(event('second'));
    expect(await forwarder.flush(5000)).toBe(true);
    expect(endpoint.received.map((r) => r.body.job.name)).toEqual(['first', 'first', 'first', 'second']);
    expect(forwarder.stats()).toEqual({ queued: 0, sent: 2, dropped: 0, failedAttempts: 2 });
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('(HTTP 503); retrying'), expect.stringContaining('works again')]);
  });

  it('drops an event the endpoint refuses (4xx) at once instead of retrying it', async () => {
    endpoint = await startEndpoint();
    endpoint.answer = (n, res) => res.writeHead(n === 1 ? 400 : 201).end();
    const warnings: Error[] = [];
    const forwarder = new LineageForwarder({ url: endpoint.url, retryDelayMs: 5, onError: (e) => warnings.push(e) });
    open.push(forwarder);
    forwarder.enqueue(event('refused'));
    forwarder.enqueue(event('accepted'));
    expect(await forwarder.flush(5000)).toBe(true);
    expect(endpoint.received.map((r) => r.body.job.name)).toEqual(['refused', 'accepted']);
    expect(forwarder.stats()).toMatchObject({ sent: 1, dropped: 1, failedAttempts: 1 });
    expect(warnings[0]!.message).toContain('HTTP 400 (the event was refused)');
  });

  it('gives up on an endpoint that never answers after the timeout, and bounds the queue by dropping the oldest', async () => {
    endpoint = await startEndpoint();
    const held: ServerResponse[] = [];
    endpoint.answer = (_n, res) => void held.push(res); // never answers
    const warnings: Error[] = [];
    const forwarder = new LineageForwarder({ url: endpoint.url, timeoutMs: 200, maxAttempts: 1, maxQueue: 2, onError: (e) => warnings.push(e) });
    open.push(forwarder);
    for (const name of ['a', 'b', 'c', 'd']) forwarder.enqueue(event(name)); // a in flight, b pushed out by d
    expect(forwarder.stats()).toMatchObject({ queued: 3, dropped: 1 });
    expect(warnings[0]!.message).toContain('queue of 2 events');
    expect(await forwarder.flush(5000)).toBe(true);
    expect(endpoint.received.map((r) => r.body.job.name)).toEqual(['a', 'c', 'd']);
    expect(forwarder.stats()).toMatchObject({ queued: 0, sent: 0, dropped: 4 });
    expect(warnings.map((w) => w.message).join('\n')).not.toContain('no answer'); // one warning per streak of drops
    for (const res of held) res.destroy();
  });

  it('warns on close about events it could not send', async () => {
    endpoint = await startEndpoint();
    endpoint.answer = (_n, res) => res.writeHead(503).end();
    const warnings: Error[] = [];
    const forwarder = new LineageForwarder({ url: endpoint.url, retryDelayMs: 60_000, onError: (e) => warnings.push(e) });
    forwarder.enqueue(event('stuck'));
    await new Promise((r) => setTimeout(r, 100));
    await forwarder.close();
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining('retrying'), expect.stringContaining('1 lineage event was not forwarded')]);
    forwarder.enqueue(event('after-close'));
    expect(forwarder.stats().queued).toBe(0);
  });
});
