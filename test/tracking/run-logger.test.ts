import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajApiError, FalajClient, startRun } from '../../src/client/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

/** The SDK's run logger against a real server on a real port, as a training script uses it. */
describe('RunLogger over HTTP', () => {
  let dataDir: string;
  let server: RunningServer;
  let client: FalajClient;
  const P = 'default';

  /** Counts the log-batch calls the client makes. */
  function countBatches(): { count: () => number } {
    let n = 0;
    const transport = client.transport;
    const send = transport.request.bind(transport);
    transport.request = async (...args: Parameters<typeof send>) => {
      if (args[1].endsWith('/log-batch')) n++;
      return send(...args);
    };
    return { count: () => n };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'falaj-run-logger-'));
    const { config } = loadConfig({ env: {}, cwd: dataDir, flags: { dataDir, 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config);
    client = new FalajClient({ baseUrl: server.url, token: server.services.bootstrapToken });
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates the experiment, buffers, flushes everything on end and finishes the run', async () => {
    const batches = countBatches();
    const run = await startRun(client, P, 'sdk-experiment', { name: 'sdk-run', tags: { team: 'risk' }, sourceVersion: 'c0ffee' });
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);
    run.logParams({ lr: 0.01, depth: 6, early_stop: true });
    run.setTag('stage', 'train');
    for (let step = 0; step < 2_500; step++) {
      run.logMetric('loss', 1 / (step + 1), step);
      if (step % 10 === 0) run.logMetric('auc', step / 2_500, step);
    }
    run.logMetric('weird', Number.NaN);
    const info = await run.end();
    expect(info).toMatchObject({ id: run.runId, status: 'FINISHED', endTime: expect.any(Number) });
    // full batches of 1,000 were sent as soon as they filled, in the background
    expect(batches.count()).toBeGreaterThanOrEqual(3);

    const stored = await client.tracking.getRun(P, run.runId);
    expect(stored.data.params).toEqual({ lr: '0.01', depth: '6', early_stop: 'true' });
    expect(stored.data.tags).toMatchObject({ team: 'risk', stage: 'train', 'mlflow.source.git.commit': 'c0ffee', 'mlflow.runName': 'sdk-run' });
    expect(stored.data.metrics.loss).toMatchObject({ value: 1 / 2_500, step: 2_499 });
    expect(stored.data.metrics.weird!.value).toBeNaN();
    const steps: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await client.tracking.metricHistory(P, run.runId, 'loss', { maxResults: 1_000, ...(pageToken ? { pageToken } : {}) });
      steps.push(...page.metrics.map((m) => m.step));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(steps).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(() => run.logMetric('late', 1)).toThrow(/has ended/);

    // a second run finds the experiment by name rather than making another
    const again = await startRun(client, P, 'sdk-experiment');
    expect(again.info.experimentId).toBe(stored.info.experimentId);
    await again.end('KILLED');
    expect((await client.tracking.getRun(P, again.runId)).info.status).toBe('KILLED');
  });

  it('sends what waits every interval, without end()', async () => {
    const run = await startRun(client, P, 'sdk-experiment', { flushIntervalMs: 100 });
    run.logMetric('heartbeat', 1, 1);
    run.logParam('p', 'v');
    await expect.poll(async () => (await client.tracking.getRun(P, run.runId)).data.metrics.heartbeat?.value, { timeout: 5_000, interval: 50 }).toBe(1);
    expect((await client.tracking.getRun(P, run.runId)).data.params).toEqual({ p: 'v' });
    await run.end();
  });

  it('reports a refused batch from flush() and end(), still ending the run', async () => {
    const run = await startRun(client, P, 'sdk-experiment');
    run.logParam('lr', '0.1');
    await run.flush();
    run.logParam('lr', '0.2');
    run.logMetric('after', 1);
    const refused = await run.flush().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(FalajApiError);
    expect((refused as FalajApiError).code).toBe('FALAJ_PARAM_IMMUTABLE');
    run.logParam('lr', '0.3');
    await expect(run.end('FAILED')).rejects.toMatchObject({ code: 'FALAJ_PARAM_IMMUTABLE' });
    const stored = await client.tracking.getRun(P, run.runId);
    expect(stored.info.status).toBe('FAILED');
    expect(stored.data.params).toEqual({ lr: '0.1' });
  });

  it('searches runs through the client', async () => {
    const page = await client.tracking.searchRuns(P, { filter: "tags.team = 'risk' and metrics.loss < 0.001", orderBy: ['metrics.loss ASC'] });
    expect(page.runs.map((r) => r.info.name)).toEqual(['sdk-run']);
    expect(page.runs[0]!.data.metrics.weird!.value).toBeNaN();
  });
});
