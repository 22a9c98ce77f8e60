import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../../src/storage/offline/index.js';

/**
 * The built `falaj trainer run` as a training job runs it, killed for real (SIGKILL, and
 * SIGTERM with its grace) part-way and started again on the same checkpoint directory.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin', 'falaj.js');
const built = existsSync(join(ROOT, 'dist', 'cli', 'commands', 'trainer.js'));
if (!built) console.warn('skipping kill-resume: run `npm run build` first (it runs the built CLI)');

interface Attempt {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one attempt; `kill` sends `signal` once stdout shows `after` (e.g. the line of epoch 2). */
function attempt(env: NodeJS.ProcessEnv, kill?: { after: RegExp; signal: NodeJS.Signals }): Promise<Attempt> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'trainer', 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (kill && !sent && kill.after.test(stdout)) {
        sent = true;
        child.kill(kill.signal);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

describe.skipIf(!built)('falaj trainer run, killed and restarted', () => {
  let dir: string;
  let dataPath: string;
  const spec = { type: 'tabular', task: 'binary', label: 'label', model: 'mlp', hidden: [16], epochs: 20, patience: 20, batchSize: 128 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'falaj-trainer-kill-'));
    dataPath = join(dir, 'train.parquet');
    const engine = await DuckDbEngine.create({ threads: 1 });
    await engine.query(`COPY (
      SELECT TIMESTAMP '2024-01-01' + to_minutes(i) AS event_timestamp, sin(i * 0.1) AS a, cos(i * 0.37) AS b, (i % 17) * 1.0 AS c,
             sin(i * 0.1) * cos(i * 0.37) > 0 AS label
      FROM range(8000) t(i)) TO '${dataPath}' (FORMAT parquet)`);
    await engine.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const envFor = (name: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('FALAJ_')) delete env[key];
    return {
      ...env,
      FALAJ_TRAINING_DATA: dataPath,
      FALAJ_CHECKPOINT_DIR: join(dir, name, 'checkpoint'),
      FALAJ_OUTPUT_DIR: join(dir, name, 'output'),
      FALAJ_TRAINER_SPEC: JSON.stringify(spec),
    };
  };

  it('SIGKILL after epoch 2, then SIGTERM, then a clean finish: the same model.onnx as a run never interrupted', async () => {
    const whole = await attempt(envFor('whole'));
    expect(whole.code, whole.stderr).toBe(0);
    const expected = await readFile(join(dir, 'whole', 'output', 'model.onnx'));

    const env = envFor('killed');
    const killed = await attempt(env, { after: /^epoch 2\/20 /m, signal: 'SIGKILL' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(env.FALAJ_OUTPUT_DIR!, 'model.onnx'))).toBe(false);

    const terminated = await attempt(env, { after: /^resuming from the checkpoint after epoch \d/m, signal: 'SIGTERM' });
    const resumedAt = Number(/resuming from the checkpoint after epoch (\d+)/.exec(terminated.stdout)![1]);
    expect(resumedAt).toBeGreaterThanOrEqual(2);
    // SIGKILL lands within an epoch of the kill, so epochs are left: the attempt stops between two
    // batches with 143, keeping the checkpoint of the last whole epoch
    expect(resumedAt).toBeLessThan(19);
    expect(terminated.code).toBe(143);
    expect(terminated.stderr).toMatch(/^falaj trainer: stopped by SIGTERM$/m);

    const last = await attempt(env);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toMatch(/^resuming from the checkpoint after epoch \d/m);
    expect(await readFile(join(env.FALAJ_OUTPUT_DIR!, 'model.onnx'))).toEqual(expected);
    const metrics = JSON.parse(await readFile(join(env.FALAJ_OUTPUT_DIR!, 'metrics.json'), 'utf8'));
    expect(metrics.history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
