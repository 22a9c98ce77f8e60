import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajClient } from '../../../src/client/index.js';
import { loadConfig } from '../../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { DuckDbEngine } from '../../../src/storage/offline/index.js';
import { runTrainerFromEnv } from '../../../src/training/trainer/index.js';

/** The job entry point over a real server on a real port, as a training job's process runs it. */
describe('runTrainerFromEnv', () => {
  let dir: string;
  let server: RunningServer;
  let client: FalajClient;
  let dataPath: string;
  const P = 'default';
  const spec = { type: 'tabular', task: 'regression', label: 'y', model: 'linear', epochs: 4, batchSize: 32, learningRate: 0.1 };

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { print: (l: string) => out.push(l), printError: (l: string) => err.push(l), handleSigterm: false } };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-trainer-main-'));
    const { config } = loadConfig({ env: {}, cwd: dir, flags: { dataDir: join(dir, 'server'), 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config);
    client = new FalajClient({ baseUrl: server.url, token: server.services.bootstrapToken });
    dataPath = join(dir, 'train.parquet');
    const engine = await DuckDbEngine.create({ threads: 1 });
    await engine.query(`COPY (
      SELECT 'k' || i AS key, TIMESTAMP '2024-01-01' + to_hours(i) AS event_timestamp,
             sin(i) AS a, cos(i * 0.3) AS b, 2 * sin(i) - cos(i * 0.3) + 0.5 AS y
      FROM range(600) t(i)) TO '${dataPath}' (FORMAT parquet)`);
    await engine.close();
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function newRun(): Promise<string> {
    const experiment = await client.tracking.createExperiment(P, { name: `trainer-${Math.random().toString(36).slice(2)}` });
    return (await client.tracking.createRun(P, { experimentId: experiment.id, name: 'job' })).info.id;
  }

  function jobEnv(runId: string, name: string): NodeJS.ProcessEnv {
    return {
      FALAJ_TRAINING_DATA: dataPath,
      FALAJ_CHECKPOINT_DIR: join(dir, name, 'checkpoint'),
      FALAJ_OUTPUT_DIR: join(dir, name, 'output'),
      FALAJ_TRACKING_URI: server.url,
      FALAJ_TOKEN: server.services.bootstrapToken!,
      FALAJ_PROJECT: P,
      FALAJ_RUN_ID: runId,
      FALAJ_TRAINER_SPEC: JSON.stringify(spec),
    };
  }

  it('trains, logs params and per-epoch metrics to the run, and writes model.onnx and metrics.json', async () => {
    const runId = await newRun();
    const env = jobEnv(runId, 'ok');
    const { out, err, io } = capture();
    expect(await runTrainerFromEnv(env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out.filter((l) => /^epoch \d\/4 train_loss=/.test(l))).toHaveLength(4);

    const run = await client.tracking.getRun(P, runId);
    expect(run.data.params).toMatchObject({ type: 'tabular', task: 'regression', label: 'y', model: 'linear', epochs: '4', batchSize: '32', learningRate: '0.1', features: 'a,b', feature_count: '2', rows_train: '480', rows_validation: '120' });
    const history = await client.tracking.metricHistory(P, runId, 'val_rmse');
    expect(history.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(run.data.metrics.best_val_r2!.value).toBeGreaterThan(0.9);
    expect((await readdir(env.FALAJ_OUTPUT_DIR!)).sort()).toEqual(['metrics.json', 'model.onnx']);
    expect(JSON.parse(await readFile(join(env.FALAJ_OUTPUT_DIR!, 'metrics.json'), 'utf8')).bestEpoch).toBeGreaterThan(0);

    // a second attempt with the same checkpoint directory trains nothing and writes the same model
    const before = await readFile(join(env.FALAJ_OUTPUT_DIR!, 'model.onnx'));
    const again = capture();
    expect(await runTrainerFromEnv(env, again.io)).toBe(0);
    expect(again.out.some((l) => /resuming from the checkpoint after epoch 4 \(training was already over\)/.test(l))).toBe(true);
    expect(await readFile(join(env.FALAJ_OUTPUT_DIR!, 'model.onnx'))).toEqual(before);
  });

  it('exits 2 with a clear line for a bad spec or a missing variable', async () => {
    const env = jobEnv('unused', 'bad');
    const bad = capture();
    expect(await runTrainerFromEnv({ ...env, FALAJ_TRAINER_SPEC: JSON.stringify({ ...spec, task: 'ranking' }) }, bad.io)).toBe(2);
    expect(bad.err).toEqual([expect.stringMatching(/^falaj trainer: trainer spec is not valid: task: must be one of binary, regression .*\(FALAJ_VALIDATION_FAILED\)$/)]);

    const missing = capture();
    expect(await runTrainerFromEnv({ ...env, FALAJ_TRAINING_DATA: '' }, missing.io)).toBe(2);
    expect(missing.err[0]).toMatch(/FALAJ_TRAINING_DATA is not set/);

    const noLabel = capture();
    expect(await runTrainerFromEnv({ ...env, FALAJ_TRACKING_URI: '', FALAJ_TRAINER_SPEC: JSON.stringify({ ...spec, label: 'missing' }) }, noLabel.io)).toBe(2);
    expect(noLabel.err[0]).toMatch(/label column "missing" is not in the training set.*FALAJ_TRAINING_SET_INVALID/);
  });

  it('fails the job (exit 1) when tracking cannot be reached or the run does not exist', async () => {
    const unknownRun = capture();
    expect(await runTrainerFromEnv(jobEnv('0123456789abcdef0123456789abcdef', 'no-run'), unknownRun.io)).toBe(1);
    expect(unknownRun.err[0]).toMatch(/cannot use tracking run 0123456789abcdef0123456789abcdef of project default at .*FALAJ_SERVER_UNREACHABLE/);

    const down = capture();
    expect(await runTrainerFromEnv({ ...jobEnv('x', 'down'), FALAJ_TRACKING_URI: 'http://127.0.0.1:9' }, down.io)).toBe(1);
    expect(down.err[0]).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
