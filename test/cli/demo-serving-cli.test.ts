import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, expectFailure, falaj, freePort, userEnv } from './cli-harness.js';

/**
 * `falaj demo --quick --keep`: the platform's main job end to end (features, two training
 * jobs, a deployment, predictions, a canary rollout), then the serving CLI against the
 * server it leaves running.
 */
describe('falaj demo, then the serving CLI', () => {
  let root: string;
  let demo: ChildProcess;
  let output = '';
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => falaj(args, env, root);

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'falaj-demo-cli-'));
    const port = await freePort();
    demo = spawn(process.execPath, [BIN, 'demo', '--quick', '--keep', '--port', String(port), '--data-dir', join(root, 'demo')], { env: userEnv(join(root, 'home')), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await new Promise<void>((ready, fail) => {
      demo.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        if (output.includes('Still serving')) ready();
      });
      demo.on('close', (code) => fail(new Error(`falaj demo exited ${code}:\n${output}`)));
    });
    const token = /FALAJ_TOKEN=(flj_\S+)/.exec(output)![1]!;
    env = userEnv(join(root, 'home'), { FALAJ_SERVER: `http://127.0.0.1:${port}`, FALAJ_TOKEN: token });
  }, 240_000);

  afterAll(async () => {
    if (demo && demo.exitCode === null) {
      const gone = new Promise((ok) => demo.once('close', ok));
      demo.kill('SIGKILL');
      await gone;
    }
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ran every step and promoted the canary', () => {
    for (const text of ['Apply the flights feature definitions', 'Materialize', 'registered and signed: flight-delays v1', 'registered and signed: flight-delays v2', 'promoted: canary (flight-delays v2)', 'hash chain verified']) {
      expect(output).toContain(text);
    }
    expect(output).toMatch(/now serving\s+flight-delays: stable v2 100% \(phase promoted\)/);
    expect(output).toMatch(/prediction log\s+[\d,]+ rows in Parquet .*newest: \w+ → \w+ 0\.\d+ by stable v2 with 15 features/);
  });

  it('lists and shows deployments', async () => {
    const list = await run('deployments', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/flight-delays\s+single\s+promoted\s+stable v2 100%/);
    const show = await run('deployments', 'show', 'flight-delays');
    expect(show.stdout).toContain('history');
    expect(show.stdout).toMatch(/promoted/);
    expect(show.stdout).toContain('loaded on this replica');
  });

  it('predicts from the command line, with features looked up by the server', async () => {
    const res = await run('predict', 'flight-delays', '--entity', 'origin=SFO', '--entity', 'destination=ORD');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/variant:\s+stable/);
    expect(res.stdout).toMatch(/model:\s+flight-delays v2/);
    expect(res.stdout).toMatch(/probability:\s+0\.\d+/);
    const json = JSON.parse((await run('predict', 'flight-delays', '--entity', 'origin=SFO,destination=ORD', '-o', 'json')).stdout);
    expect(json.predictions[0].probability).toBeGreaterThan(0);
    expectFailure(await run('predict', 'flight-delays'), 1, /--entity key=value/);
    expectFailure(await run('predict', 'no-such', '--entity', 'origin=SFO'), 1, /FALAJ_DEPLOYMENT_NOT_FOUND/);
  });

  it('deploys from YAML, rolls back and reads the prediction log', async () => {
    await writeFile(join(root, 'ab.yaml'), [
      'kind: Deployment',
      'name: flight-delays',
      'model: flight-delays',
      'mode: ab',
      'sticky: { entity: origin }',
      'routes:',
      '  - { name: a, version: 1, weight: 50 }',
      '  - { name: b, version: 2, weight: 50 }',
    ].join('\n'));
    const deployed = await run('deploy', '-f', 'ab.yaml');
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/updated\s+flight-delays: a v1 50% \/ b v2 50%/);
    const back = await run('deployments', 'rollback', 'flight-delays', '--reason', 'test');
    expect(back.stdout).toMatch(/rolled back: flight-delays now serves stable v2 100%/);
    const log = await run('deployments', 'predictions', 'flight-delays', '--limit', '3');
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    await writeFile(join(root, 'bad.yaml'), 'kind: Deployment\nname: x\nmodel: flight-delays\nmode: ab\nroutes: [{ name: a, version: 1 }]\n');
    expectFailure(await run('deploy', '-f', 'bad.yaml'), 1, /FALAJ_DEPLOYMENT_INVALID/);
  });
});
