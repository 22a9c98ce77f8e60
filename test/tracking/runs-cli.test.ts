import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { falaj as runCli, userEnv, type Result } from '../cli/cli-harness.js';

/** `falaj runs list|show|compare`, the built CLI run as a user runs it, against a real server. */
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'falaj.js');
const BUILT = join(ROOT, 'dist', 'cli', 'commands', 'runs.js');

/** Newest modification time under the sources this file exercises. */
function newestSource(): number {
  const walk = (dir: string): number[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [statSync(join(dir, e.name)).mtimeMs]));
  return Math.max(...walk(join(ROOT, 'src', 'tracking')), ...walk(join(ROOT, 'src', 'client')), statSync(join(ROOT, 'src', 'cli', 'commands', 'runs.ts')).mtimeMs, statSync(join(ROOT, 'src', 'cli', 'main.ts')).mtimeMs);
}

describe('falaj runs', () => {
  let dataDir: string;
  let home: string;
  let server: RunningServer;
  let client: FalajClient;
  const runIds: Record<string, string> = {};

  const falaj = (...args: string[]): Promise<Result> =>
    runCli(['--server', server.url, '--token', server.services.bootstrapToken!, ...args], userEnv(home), dataDir);

  beforeAll(async () => {
    if (!existsSync(BUILT) || statSync(BUILT).mtimeMs < newestSource()) {
      // emits even when another domain's work in progress has type errors; what matters is our output
      spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    }
    expect(existsSync(BUILT)).toBe(true);
    dataDir = await mkdtemp(join(tmpdir(), 'falaj-runs-cli-'));
    home = join(dataDir, 'home');
    const { config } = loadConfig({ env: {}, cwd: dataDir, flags: { dataDir, 'server.port': 0, 'log.level': 'silent' } });
    server = await startServer(config);
    client = new FalajClient({ baseUrl: server.url, token: server.services.bootstrapToken });
    const experiment = await client.tracking.createExperiment('default', { name: 'cli-exp' });
    const other = await client.tracking.createExperiment('default', { name: 'other-exp' });
    const seed = async (experimentId: string, name: string, startTime: number, lr: string, auc: number) => {
      const run = await client.tracking.createRun('default', { experimentId, name, startTime });
      await client.tracking.logBatch('default', run.info.id, {
        params: [{ key: 'lr', value: lr }, { key: 'model', value: 'xgb' }],
        metrics: [{ key: 'auc', value: auc, step: 3, timestamp: startTime }],
        tags: [{ key: 'team', value: 'risk' }],
      });
      runIds[name] = run.info.id;
    };
    await seed(experiment.id, 'run-low', 1_000, '0.1', 0.71);
    await seed(experiment.id, 'run-high', 2_000, '0.01', 0.93);
    await seed(experiment.id, 'run-mid', 3_000, '0.01', 0.85);
    await seed(other.id, 'elsewhere', 4_000, '0.5', 0.99);
    await client.tracking.endRun('default', runIds['run-high']!, 'FINISHED', 2_500);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists an experiment\'s runs ordered by a metric, with that metric as a column', async () => {
    const res = await falaj('runs', 'list', '--experiment', 'cli-exp', '--order-by', 'metrics.auc DESC');
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN ID\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+METRICS.AUC$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['run-high', 'run-mid', 'run-low']);
    expect(lines[1]).toContain(runIds['run-high']);
    expect(lines[1]).toMatch(/FINISHED\s+1970-01-01T00:00:02.000Z\s+0.5s\s+0.93$/);
  });

  it('filters (with or), limits and pages, as a table or JSON', async () => {
    const json = await falaj('runs', 'list', '--filter', "params.lr = '0.01' or metrics.auc > 0.95", '--output', 'json');
    expect(json.code, json.stderr).toBe(0);
    const page = JSON.parse(json.stdout) as { runs: { info: { name: string } }[] };
    expect(page.runs.map((r) => r.info.name)).toEqual(['elsewhere', 'run-mid', 'run-high']);

    const first = await falaj('runs', 'list', '--max', '1');
    expect(first.code, first.stderr).toBe(0);
    const token = /--page-token (\S+)/.exec(first.stdout)?.[1];
    expect(token).toBeDefined();
    const second = await falaj('runs', 'list', '--max', '1', '--page-token', token!);
    expect(second.stdout).toContain('run-mid');
  });

  it('shows one run with its params, latest metrics and tags', async () => {
    const res = await falaj('runs', 'show', runIds['run-high']!);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/name:\s+run-high/);
    expect(res.stdout).toMatch(/status:\s+FINISHED/);
    expect(res.stdout).toMatch(/params:\n\s+lr\s+0.01\n\s+model\s+xgb/);
    expect(res.stdout).toMatch(/metrics \(latest\):\n\s+auc\s+0.93\s+\(step 3\)/);
    expect(res.stdout).toMatch(/tags:\n(.*\n)*\s+team\s+risk/);
  });

  it('compares runs side by side and marks the values that differ', async () => {
    const res = await falaj('runs', 'compare', runIds['run-low']!, runIds['run-high']!, runIds['run-mid']!);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/KIND\s+KEY\s+RUN-LOW \(\w{8}\)\s+RUN-HIGH \(\w{8}\)\s+RUN-MID \(\w{8}\)/);
    const row = (key: string) => lines.find((l) => new RegExp(`\\s${key}\\s`).test(l))!;
    expect(row('lr')).toMatch(/^\*\s+param\s+lr\s+0.1\s+0.01\s+0.01$/);
    expect(row('model')).toMatch(/^\s+param\s+model\s+xgb\s+xgb\s+xgb$/);
    expect(row('auc')).toMatch(/^\*\s+metric\s+auc\s+0.71\s+0.93\s+0.85$/);
    const json = JSON.parse((await falaj('runs', 'compare', runIds['run-high']!, runIds['run-mid']!, '--output', 'json')).stdout) as { rows: { key: string; differs: boolean }[] };
    expect(json.rows.map((r) => [r.key, r.differs])).toEqual([['lr', false], ['model', false], ['auc', true]]);
  });

  it('fails with one line naming the problem', async () => {
    const bad = await falaj('runs', 'list', '--filter', 'metrics.auc >> 1');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^falaj: .*at position 13.*FALAJ_FILTER_INVALID, HTTP 400/);
    const missing = await falaj('runs', 'show', 'f'.repeat(32));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/FALAJ_RUN_NOT_FOUND/);
    const noExperiment = await falaj('runs', 'list', '--experiment', 'nope');
    expect(noExperiment.stderr).toMatch(/FALAJ_EXPERIMENT_NOT_FOUND/);
  });
});
