import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FalajApiError, FalajClient } from '../../src/client/index.js';
import { main } from '../../src/cli/main.js';
import { linearRegressionOnnx } from './onnx-builder.js';
import { ENGINES, PROJECT, registryApp, system, type RegistryApp } from './registry-app.js';

/** Runs `falaj …` in-process against the server; returns exit code and output. */
async function falaj(server: string, token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  process.exitCode = 0;
  try {
    await main(['node', 'falaj', '--server', server, '--token', token, ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe.each(ENGINES)('the SDK and the falaj models CLI over a real port, metadata on $name', (engine) => {
  let r: RegistryApp;
  let url: string;
  let dir: string;
  const previousCredentials = process.env.FALAJ_CREDENTIALS_FILE;
  beforeAll(async () => {
    r = await registryApp(engine);
    url = await r.t.app.listen({ host: '127.0.0.1', port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'falaj-registry-cli-'));
    process.env.FALAJ_CREDENTIALS_FILE = join(dir, 'no-credentials.json');
  });
  afterAll(async () => {
    process.env.FALAJ_CREDENTIALS_FILE = previousCredentials;
    if (previousCredentials === undefined) delete process.env.FALAJ_CREDENTIALS_FILE;
    await r?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('SDK: register from a run, govern the champion with two people, verify and download', async () => {
    const onnx = linearRegressionOnnx(5);
    const runId = await r.logRun({ 'model/model.onnx': onnx }, { sourceVersion: 'c0ffee' });
    const editor = new FalajClient({ baseUrl: url, token: await r.token('editor') });
    const alice = new FalajClient({ baseUrl: url, token: await r.token('deployer') });
    const bob = new FalajClient({ baseUrl: url, token: await r.token('deployer') });
    const admin = new FalajClient({ baseUrl: url, token: r.t.adminToken });
    try {
      await editor.models.create(PROJECT, { name: 'sdk-model', tags: { team: 'ops' } });
      const v = await editor.models.register(PROJECT, 'sdk-model', { source: `runs:/${runId}/model`, description: 'from the SDK' });
      expect(v).toMatchObject({ version: 1, status: 'READY', lineage: { codeVersion: 'c0ffee' }, onnxSignature: { inputs: [{ name: 'X', shape: ['N', 5] }] } });
      expect((await editor.models.list(PROJECT, { tags: { team: 'ops' } })).models.map((m) => m.name)).toEqual(['sdk-model']);

      const refused = await editor.models.setAlias(PROJECT, 'sdk-model', 'champion', 1).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FalajApiError);
      expect((refused as FalajApiError).code).toBe('FALAJ_PERMISSION_DENIED');

      await admin.models.updateSettings(PROJECT, { requireApproval: true });
      const change = await alice.models.setAlias(PROJECT, 'sdk-model', 'champion', 1);
      if (change.applied) throw new Error('expected an approval request');
      expect(((await alice.models.approve(PROJECT, change.approval.id).catch((e: unknown) => e)) as FalajApiError).code).toBe('FALAJ_APPROVAL_REQUIRED');
      expect((await bob.models.approvals(PROJECT, 'pending')).map((a) => a.id)).toEqual([change.approval.id]);
      await bob.models.approve(PROJECT, change.approval.id);
      expect((await editor.models.getByAlias(PROJECT, 'sdk-model', 'champion')).version).toBe(1);
      await admin.models.updateSettings(PROJECT, { requireApproval: false });

      expect(await editor.models.verify(PROJECT, 'sdk-model', 1)).toMatchObject({ verified: true, files: 1 });
      const target = join(dir, 'model.onnx');
      const signed = await editor.models.download(PROJECT, 'sdk-model', 1, 'model.onnx', target);
      expect(signed).toBe(createHash('sha256').update(onnx).digest('hex'));
      expect((await readFile(target)).equals(onnx)).toBe(true);
    } finally {
      for (const c of [editor, alice, bob, admin]) c.close();
    }
  });

  it('CLI: falaj models register, list, show, alias, approve, verify', async () => {
    const runId = await r.logRun({ 'model/model.onnx': linearRegressionOnnx(), 'model/README.md': 'docs' });
    const [editor, alice, bob] = [await r.token('editor'), await r.token('deployer'), await r.token('deployer')];

    const registered = await falaj(url, editor, 'models', 'register', 'cli-model', '--run', runId, '--path', 'model', '--description', 'first cut');
    expect(registered.stderr).toBe('');
    expect(registered.stdout).toMatch(/version:\s+v1/);
    expect(registered.stdout).toMatch(/inputs:\s+X:float32\[N,3\]/);
    expect(registered.stdout).toMatch(/signed:\s+yes \(key /);
    expect((await falaj(url, editor, 'models', 'register', 'cli-model', '--run', runId, '--path', 'model')).stdout).toMatch(/version:\s+v2/);

    const list = await falaj(url, editor, '-o', 'json', 'models', 'list', '--name', 'cli-%');
    expect(JSON.parse(list.stdout).map((m: { name: string; latestVersion: number }) => [m.name, m.latestVersion])).toEqual([['cli-model', 2]]);

    const denied = await falaj(url, editor, 'models', 'alias', 'cli-model', 'champion', '2');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/model:promote.*\(FALAJ_PERMISSION_DENIED, HTTP 403\)/);

    await r.t.services.modelAliases.updateSettings(system, PROJECT, { requireApproval: true });
    const requested = await falaj(url, alice, '-o', 'json', 'models', 'alias', 'cli-model', 'champion', 'v2');
    const approvalId = JSON.parse(requested.stdout).approval.id as string;
    expect((await falaj(url, alice, 'models', 'approvals')).stdout).toContain(approvalId);
    const own = await falaj(url, alice, 'models', 'approve', approvalId);
    expect(own.stderr).toMatch(/FALAJ_APPROVAL_REQUIRED/);
    const approved = await falaj(url, bob, 'models', 'approve', approvalId);
    expect(approved.stdout).toMatch(/status:\s+applied/);

    const show = await falaj(url, editor, 'models', 'show', 'cli-model');
    expect(show.stdout).toMatch(/aliases:\s+champion→v2/);
    expect(show.stdout).toMatch(/v2\s+READY\s+champion/);

    const verified = await falaj(url, editor, 'models', 'verify', 'cli-model', '2');
    expect(verified.stdout).toMatch(/verified:\s+cli-model v2/);
    expect(verified.stdout).toMatch(/files:\s+2/);
  });
});
