import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajClient } from '../../src/client/index.js';
import { loadConfig, type FalajConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import type { JobView, TrainingJobSpec } from '../../src/training/index.js';
import { ensureBuilt } from '../cli/cli-harness.js';
import { writeFile } from '../features/store-app.js';

/**
 * The whole path a small team takes, on a real server with its scheduling loop: feature
 * definitions → a spine with labels → a TrainingJob with the built-in trainer → the
 * training set built point-in-time, the trainer run as a child process that logs to the
 * job's run over HTTP with its own short-lived token, the ONNX model registered with
 * lineage and signature.
 */
describe('falaj train, end to end', () => {
  let dir: string;
  let server: RunningServer;
  let client: FalajClient;

  beforeAll(async () => {
    ensureBuilt(); // the job runs bin/falaj.js, which runs dist/
    dir = await mkdtemp(join(tmpdir(), 'falaj-train-e2e-'));
    // 300 customers, a daily row each for 30 days: usage and tenure; churn depends on both
    await writeFile(
      join(dir, 'usage.parquet'),
      `SELECT c::BIGINT AS customer_id, TIMESTAMP '2024-05-01' + INTERVAL (d) DAY AS ts,
              ((c * 37 + d * 11) % 100) / 10.0 AS usage, (c % 48)::BIGINT AS tenure
       FROM range(300) t(c), range(30) s(d)`,
    );
    // asked on day 20 and day 29 about each customer; label from the features plus a deterministic flip
    await writeFile(
      join(dir, 'spine.parquet'),
      `SELECT customer_id, event_timestamp,
              CASE WHEN ((usage < 4.0 AND tenure < 30) <> (hash(customer_id, event_timestamp) % 10 = 0)) THEN 1 ELSE 0 END::BIGINT AS churned
       FROM (SELECT c::BIGINT AS customer_id, TIMESTAMP '2024-05-01' + INTERVAL (d) DAY + INTERVAL 12 HOUR AS event_timestamp,
                    ((c * 37 + d * 11) % 100) / 10.0 AS usage, (c % 48) AS tenure
             FROM range(300) t(c), (VALUES (20), (29)) s(d))`,
    );
    const { config } = loadConfig({ env: {}, cwd: dir, flags: { dataDir: join(dir, 'data'), 'server.port': 0, 'training.intervalMs': 100, 'log.level': 'warn' } });
    server = await startServer(config as FalajConfig, { logger: false });
    client = new FalajClient({ baseUrl: server.url, token: server.services.bootstrapToken! });
    const plan = await client.features.apply('default', [
      { spec: { kind: 'Entity', name: 'customer', joinKeys: ['customer_id'], valueType: 'int64' } },
      { spec: { kind: 'BatchSource', name: 'usage_log', path: join(dir, 'usage.parquet'), timestampField: 'ts', classification: 'internal' } },
      {
        spec: {
          kind: 'FeatureView', name: 'customer_usage', entities: ['customer'], source: 'usage_log', ttl: '2d', online: false, classification: 'internal',
          features: [{ name: 'usage', type: 'float64' }, { name: 'tenure', type: 'int64' }],
        },
      },
      { spec: { kind: 'FeatureService', name: 'churn_model', features: ['customer_usage:*'] } },
    ]);
    expect(plan.errors ?? []).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('trains, tracks, exports and registers a model', async () => {
    const spec: TrainingJobSpec = {
      kind: 'TrainingJob',
      name: 'churn-mlp',
      trainer: { type: 'tabular', task: 'binary', label: 'churned', model: 'mlp', hidden: [8], epochs: 8, exclude: ['customer_id'] } as TrainingJobSpec['trainer'],
      inputs: { trainingData: { featureService: 'churn_model', spine: join(dir, 'spine.parquet') } },
      outputs: { registerModel: { name: 'churn' } },
      resources: { cpu: 1, memory: '1Gi' },
      retries: 0,
    };
    const submitted = await client.training.submit('default', spec);
    let job: JobView = submitted;
    const deadline = Date.now() + 90_000;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      job = await client.training.get('default', submitted.id);
    }
    let log = '';
    await client.training.logs('default', job.id, (c) => (log += c.toString()));
    expect(job.status, `${job.lastError}\n${log}`).toBe('succeeded');
    expect(log).toMatch(/epoch 1\/8/);

    // the training set was built for the job and recorded as the run's input
    expect(job.datasetId).toMatch(/^ds_/);
    const run = await client.tracking.getRun('default', job.runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.inputs.map((i) => i.name)).toContain(job.datasetId);
    expect(run.data.params.model).toBe('mlp');
    const auc = await client.tracking.metricHistory('default', job.runId, 'val_auc');
    expect(auc.metrics.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...auc.metrics.map((m) => m.value))).toBeGreaterThan(0.7); // the label is learnable

    // registered: signed files, the ONNX signature, lineage back to the training set
    expect(job.model).toEqual({ name: 'churn', version: 1 });
    const version = await client.models.getVersion('default', 'churn', 1);
    expect(version.status).toBe('READY');
    expect(version.runId).toBe(job.runId);
    expect(version.lineage.datasets.map((d) => d.id)).toEqual([job.datasetId]);
    expect(version.lineage.featureService).toEqual({ name: 'churn_model', version: 1 });
    expect(version.onnxSignature!.inputs[0]).toMatchObject({ name: 'features' });
    expect(version.signature).not.toBeNull();

    // and the registered file runs in ONNX Runtime
    const file = join(dir, 'model.onnx');
    await client.models.download('default', 'churn', 1, 'model.onnx', file);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(await readFile(file));
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from([1.0, 5, 9.0, 40]), [2, 2]) });
    const p = out[session.outputNames[0]!]!.data as Float32Array;
    expect(p).toHaveLength(2);
    expect(p[0]!).toBeGreaterThan(p[1]!); // low usage, short tenure churns more

    // the lineage runs from the source through the training set and the job to the model
    let [trained] = await client.lineage.events('default', { job: `train/${job.name}` });
    for (let i = 0; i < 50 && !trained; i++) {
      await new Promise((r) => setTimeout(r, 100)); // emitted just after the job's status
      [trained] = await client.lineage.events('default', { job: `train/${job.name}` });
    }
    expect(trained!.event).toMatchObject({ eventType: 'COMPLETE', inputs: [{ name: `dataset/${job.datasetId}` }], outputs: [{ name: 'model/churn/1' }] });
    const up = await client.lineage.graph('default', 'model/churn/1', { direction: 'up' });
    expect(up.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([`dataset/${job.datasetId}`, 'view/customer_usage', 'service/churn_model']));
  }, 120_000);
});
