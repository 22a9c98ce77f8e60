import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectFailure, falaj, freePort, killUps, startUp, userEnv } from './cli-harness.js';

/** `falaj jobs|pools|queues` as a user runs them, against `falaj up` with its scheduler. */
describe('the training CLI', () => {
  let root: string;
  let home: string;
  const run = (...args: string[]) => falaj(args, userEnv(home), root);

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'falaj-jobs-cli-'));
    home = join(root, 'home');
    const port = await freePort();
    await startUp(['--port', String(port), '--data-dir', join(root, 'data'), '--log-level', 'warn'], userEnv(home), root);
  });

  afterAll(async () => {
    await killUps();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('submits a job from YAML, follows its logs to the end and shows it', async () => {
    await writeFile(
      join(root, 'job.yaml'),
      [
        'kind: TrainingJob',
        'name: hello',
        'command: [node, -e, "console.log(\'epoch 1 loss 0.5\'); console.log(\'run \' + process.env.FALAJ_RUN_ID)"]',
        'resources: { cpu: 1, memory: 256Mi }',
        'retries: 0',
      ].join('\n'),
    );
    const submitted = await run('jobs', 'submit', '-f', 'job.yaml', '--follow');
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toContain('epoch 1 loss 0.5');
    expect(submitted.stderr).toMatch(/job job_[0-9a-z]+ succeeded/);
    const id = /submitted hello as (job_[0-9a-z]+)/.exec(submitted.stderr)![1]!;

    const list = await run('jobs', 'list', '--output', 'json');
    expect(JSON.parse(list.stdout).map((j: { id: string; status: string }) => [j.id, j.status])).toContainEqual([id, 'succeeded']);
    const show = await run('jobs', 'show', id);
    expect(show.stdout).toMatch(/status:\s+succeeded/);
    expect(show.stdout).toContain('local');
    const logs = await run('jobs', 'logs', id);
    expect(logs.stdout).toContain('epoch 1 loss 0.5');
  });

  it('fails the follow of a failing job with exit code 1, and cancels a running one', async () => {
    await writeFile(join(root, 'bad.yaml'), 'kind: TrainingJob\nname: bad\ncommand: [node, -e, "process.exit(4)"]\nretries: 0\nresources: { cpu: 1 }\n');
    const bad = await run('jobs', 'submit', '-f', 'bad.yaml', '--follow');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/failed/);

    await writeFile(join(root, 'long.yaml'), 'kind: TrainingJob\nname: long\ncommand: [node, -e, "setInterval(() => {}, 1000)"]\nresources: { cpu: 1 }\n');
    const started = await run('jobs', 'submit', '-f', 'long.yaml');
    const id = started.stdout.trim();
    expect(id).toMatch(/^job_/);
    const cancelled = await run('jobs', 'cancel', id);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const followed = await run('jobs', 'logs', id, '-f');
    expect(followed.code).toBe(1); // it ended cancelled
    const again = await run('jobs', 'cancel', id);
    expectFailure(again, 1, /FALAJ_JOB_FINISHED/);
  });

  it('lists pools and queues with usage and cost', async () => {
    const pools = await run('pools', 'list');
    expect(pools.code, pools.stderr).toBe(0);
    expect(pools.stdout).toMatch(/^local\s+local\s+local-cpu/m);
    const queues = await run('queues', 'list', '--output', 'json');
    const [q] = JSON.parse(queues.stdout) as { name: string; flavors: { flavor: string }[] }[];
    expect(q!.name).toBe('default');
    expect(q!.flavors.map((f) => f.flavor)).toEqual(['local-cpu']);
  });

  it('refuses a file without jobs and an unknown job with one line', async () => {
    await writeFile(join(root, 'empty.yaml'), 'kind: Queue\nname: x\nflavors: []\n');
    expectFailure(await run('jobs', 'submit', '-f', 'empty.yaml'), 1, /holds no TrainingJob/);
    expectFailure(await run('jobs', 'show', 'job_00000000000000000000000000'), 1, /FALAJ_JOB_NOT_FOUND/);
  });
});
