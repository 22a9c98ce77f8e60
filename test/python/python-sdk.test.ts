import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

const run = promisify(execFile);
const PYTHON_DIR = new URL('../../python', import.meta.url).pathname;

/** Runs a Python snippet with the SDK on its path against the server; returns its JSON output. */
async function python(server: RunningServer, token: string, code: string): Promise<any> {
  const { stdout } = await run('python3', ['-c', `import json, sys\nsys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})\nimport falaj\n${code}`], {
    env: { PATH: process.env.PATH ?? '', FALAJ_SERVER: server.url, FALAJ_TOKEN: token, HOME: tmpdir() },
  });
  return JSON.parse(stdout);
}

describe('Python SDK (standard library only) against a real server', () => {
  let dir: string;
  let server: RunningServer;
  let token: string;
  let datasetId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-py-'));
    const { config } = loadConfig({ env: {}, flags: { dataDir: join(dir, 'data'), 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config, { logger: false });
    token = server.services.bootstrapToken!;
    const client = new FalajClient({ baseUrl: server.url, token });
    await client.features.apply('default', [
      { spec: { kind: 'Entity', name: 'driver', joinKeys: ['driver_id'] } },
      { spec: { kind: 'PushSource', name: 'stats', timestampField: 'ts', schema: { driver_id: 'string', ts: 'timestamp', rating: 'float64' }, classification: 'internal' } },
      { spec: { kind: 'FeatureView', name: 'driver_stats', entities: ['driver'], source: 'stats', ttl: 0, classification: 'internal', features: [{ name: 'rating', type: 'float64' }] } },
      { spec: { kind: 'FeatureService', name: 'svc', features: ['driver_stats:*'] } },
    ]);
    await client.features.push('default', 'stats', [
      { driver_id: 'd1', ts: '2024-01-01T00:00:00Z', rating: 4.5 },
      { driver_id: 'd2', ts: '2024-01-02T00:00:00Z', rating: 3.0 },
    ], 'online_and_offline');
    const spine = join(dir, 'spine.parquet');
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    await conn.run(`COPY (SELECT * FROM (VALUES ('d1', TIMESTAMP '2023-12-31'), ('d1', TIMESTAMP '2024-01-05'), ('d2', TIMESTAMP '2024-01-05')) t(driver_id, event_timestamp)) TO '${spine}' (FORMAT parquet)`);
    datasetId = (await client.datasets.build('default', { featureService: 'svc', spinePath: spine })).id;
    client.close();
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates with the token and says who it is', async () => {
    const me = await python(server, token, 'print(json.dumps(falaj.Client().whoami()))');
    expect(me.bindings).toEqual([{ project: '*', role: 'admin' }]);
  });

  it('reads online features, one dict per entity row with statuses', async () => {
    const rows = await python(server, token, `print(json.dumps(falaj.Client().online_features("svc", {"driver_id": ["d1", "zz"]})))`);
    expect(rows[0]).toMatchObject({ driver_id: 'd1', rating: 4.5, _statuses: { rating: 'PRESENT' } });
    expect(rows[1]).toMatchObject({ driver_id: 'zz', rating: null, _statuses: { rating: 'NOT_FOUND' } });
  });

  it('reads a training set built by the feature store, point-in-time correct', async () => {
    const rows = await python(server, token, `print(json.dumps(falaj.Client().download_dataset(${JSON.stringify(datasetId)})))`);
    expect(rows.map((r: Record<string, string>) => [r.driver_id, r.rating])).toEqual([
      ['d1', ''], // asked before d1's first value: null, no future leak
      ['d1', '4.5'],
      ['d2', '3.0'],
    ]);
  });

  it('saves the Parquet file and checks its SHA-256', async () => {
    const out = join(dir, 'train.parquet');
    const digest = await python(server, token, `print(json.dumps(falaj.Client().save_dataset(${JSON.stringify(datasetId)}, ${JSON.stringify(out)})))`);
    const client = new FalajClient({ baseUrl: server.url, token });
    expect(digest).toBe((await client.datasets.get('default', datasetId)).sha256);
    client.close();
  });

  it('raises FalajError with the server code on a bad request', async () => {
    const result = await python(server, token, `
try:
    falaj.Client().online_features("nope", {"driver_id": ["d1"]})
    print(json.dumps(None))
except falaj.FalajError as e:
    print(json.dumps({"status": e.status, "code": e.code}))`);
    expect(result).toEqual({ status: 404, code: 'FALAJ_FEATURE_SERVICE_NOT_FOUND' });
  });
});

describe('Python SDK: runs, artifacts and models', () => {
  let dir: string;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-py-runs-'));
    const { config } = loadConfig({ env: {}, flags: { dataDir: join(dir, 'data'), 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config, { logger: false });
    token = server.services.bootstrapToken!;
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs params and 2,500 metric points in background batches, an artifact, and registers a signed version', async () => {
    const model = join(dir, 'model.bin');
    await (await import('node:fs/promises')).writeFile(model, 'weights-v1');
    const out = await python(server, token, `
client = falaj.Client()
with client.start_run("churn", name="py-run", flush_interval=0.05) as run:
    run.log_params({"depth": 6, "lr": 0.1})
    for step in range(2500):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.set_tag("team", "risk")
    art = run.log_artifact(${JSON.stringify(model)}, "model/model.bin")
    version = run.register_model("churn-scorer", "model")
print(json.dumps({"run": run.id, "status": run.info["status"], "artifact": art, "version": version, "got": client.get_run(run.id)}))`);
    expect(out.status).toBe('FINISHED');
    expect(out.artifact).toMatchObject({ path: 'model/model.bin', bytes: 10 });
    expect(out.got.data.params).toEqual({ depth: '6', lr: '0.1' });
    expect(JSON.stringify(out.got.data.metrics)).toContain('2499'); // the latest loss point is the last step
    expect(out.version).toMatchObject({ version: 1, runId: out.run });

    const client = new FalajClient({ baseUrl: server.url, token });
    const history = await client.tracking.metricHistory('default', out.run, 'loss', { maxResults: 5000 });
    expect(history.metrics).toHaveLength(2500); // every point arrived, none twice
    const verified = await client.models.verify('default', 'churn-scorer', 1);
    expect(verified).toMatchObject({ verified: true, files: 1, deep: true });
    const back = join(dir, 'back.bin');
    await client.tracking.downloadArtifact('default', out.run, 'model/model.bin', back);
    expect(await (await import('node:fs/promises')).readFile(back, 'utf8')).toBe('weights-v1');
    client.close();
  });

  it('marks a run FAILED when the block raises', async () => {
    const out = await python(server, token, `
client = falaj.Client()
try:
    with client.start_run("churn", name="boom") as run:
        raise RuntimeError("training diverged")
except RuntimeError:
    pass
print(json.dumps(client.get_run(run.id)["info"]["status"]))`);
    expect(out).toBe('FAILED');
  });
});
