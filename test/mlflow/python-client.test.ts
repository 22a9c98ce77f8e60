import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

/**
 * MLflow's wire over a real port, from Python: the client's own HTTP stack (`requests`)
 * making the calls the MLflow client makes, and, where the `mlflow` package is installed,
 * the real client itself. Each part is skipped, saying why, when its module is missing.
 */
const run = promisify(execFile);
const has = (module: string) => spawnSync('python3', ['-c', `import ${module}`]).status === 0;
const HAS_REQUESTS = has('requests');
const HAS_MLFLOW = has('mlflow');
if (!HAS_REQUESTS) console.warn('test/mlflow/python-client: python3 with `requests` not found, wire session skipped');
if (!HAS_MLFLOW) console.warn('test/mlflow/python-client: the `mlflow` package is not installed (pip install "mlflow<3"), real-client session skipped');

const script = (name: string) => new URL(`./python/${name}`, import.meta.url).pathname;

describe.skipIf(!HAS_REQUESTS && !HAS_MLFLOW)('MLflow from Python over a real port', () => {
  let dir: string;
  let server: RunningServer;
  const python = async (name: string) => {
    const env = { PATH: process.env.PATH ?? '', HOME: dir, MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: server.services.bootstrapToken! };
    const { stdout } = await run('python3', [script(name)], { env, timeout: 120_000 });
    return JSON.parse(stdout);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-mlflow-py-'));
    const { config } = loadConfig({ env: {}, flags: { dataDir: join(dir, 'data'), 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config, { logger: false });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!HAS_REQUESTS)("the client's calls made with its HTTP library: log, upload (sized and chunked), register, alias, download", async () => {
    const out = await python('wire_session.py');
    expect(out.uploaded).toEqual({ 'output.txt': 12, 'model/model.pkl': 200_000 });
    expect(out.root_listing).toEqual({
      files: [
        { path: 'logs', is_dir: true },
        { path: 'model', is_dir: true },
        { path: 'output.txt', is_dir: false, file_size: 12 },
      ],
    });
    expect(out.version).toMatchObject({ name: 'wire-model', version: '1', status: 'READY', run_id: out.run_id });
    expect(out.by_alias).toBe('1');
    expect(out.latest).toEqual(['1']);
    expect(out.download_matches).toBe(true);
    expect(out.sha256_header).toMatch(/^[0-9a-f]{64}$/);
    expect(out.after_delete).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const log = (await server.services.artifacts.list('default', out.run_id, 'logs'))[0]!;
    expect(log).toMatchObject({ path: 'logs/train.log', bytes: Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('').length });
  });

  it.skipIf(!HAS_MLFLOW)('the real MLflow client: start_run, log_param, log_metric, log_artifact, register_model, alias, download', async () => {
    const out = await python('real_client_session.py');
    expect(out).toMatchObject({ version: '1', status: 'READY', alias: '1', params: { lr: '0.01' }, metrics: { rmse: 0.5 }, downloaded: 'Hello world!' });
    expect(out.artifacts).toEqual(['model', 'output.txt']);
  });
});
