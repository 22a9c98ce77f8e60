import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectFailure, falaj, freePort, killUps, startUp, userEnv, type Up } from './cli-harness.js';

/**
 * The built `falaj` CLI run as a user runs it: `falaj up` in one process, the other
 * commands in others, sharing a home directory (hence a credentials file).
 */

describe('the falaj CLI against a server it started', () => {
  let root: string;
  let home: string;
  let dataDir: string;
  let port: number;
  let url: string;
  let up: Up | undefined;
  let adminToken: string;
  let editorToken: string;
  const env = () => userEnv(home);
  const run = (...args: string[]) => falaj(args, env(), root);
  const asAdmin = (...args: string[]) => falaj(['--token', adminToken, ...args], env(), root);
  const upArgs = () => ['--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'];

  beforeAll(async () => {
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'falaj-cli-'));
    home = join(root, 'home');
    dataDir = join(root, 'data');
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await killUps();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('first start prints an admin token once and logs the CLI in with a 0600 file; Ctrl-C stops it cleanly', async () => {
    up = await startUp(upArgs(), env(), root);
    const out = up.output();
    expect(out).toContain(`Falaj listening on ${url}`);
    const tokens = out.match(/flj_[A-Za-z0-9_-]+/g) ?? [];
    expect(tokens).toHaveLength(1);
    adminToken = tokens[0]!;

    const file = join(home, '.config', 'falaj', 'credentials.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ server: url, token: adminToken });

    up.child.kill('SIGINT');
    const { code, stdout } = await up.exited;
    expect(code).toBe(0);
    expect(stdout).toContain('stopped cleanly');
  });

  it('a second start on the same data dir prints no token', async () => {
    up = await startUp(upArgs(), env(), root);
    expect(up.output()).toContain(`Falaj listening on ${url}`);
    expect(up.output()).not.toMatch(/flj_/);
    expect(up.output()).not.toContain('First start');
  });

  it('creates and lists projects', async () => {
    const created = await run('projects', 'create', 'fraud', '--allowed-regions', 'local');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/name:\s+fraud/);

    const listed = await run('projects', 'list', '--output', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    const projects = JSON.parse(listed.stdout) as { name: string; allowedRegions: string[] }[];
    expect(projects.find((p) => p.name === 'fraud')).toMatchObject({ allowedRegions: ['local'] });
    expect(projects.map((p) => p.name)).toContain('default');
  });

  it('creates tokens with an expiry and revokes one', async () => {
    const create = async () => {
      const res = await run('tokens', 'create', '--project', 'fraud', '--role', 'editor', '--expires', '30d', '--output', 'json');
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(res.stdout) as { token: string; info: { id: string; project: string; role: string; createdAt: string; expiresAt: string } };
    };
    const kept = await create();
    expect(kept.token).toMatch(/^flj_/);
    expect(kept.info).toMatchObject({ project: 'fraud', role: 'editor' });
    expect(Date.parse(kept.info.expiresAt) - Date.parse(kept.info.createdAt)).toBe(30 * 86_400_000);
    editorToken = kept.token;

    const doomed = await create();
    const revoked = await run('tokens', 'revoke', doomed.info.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(doomed.info.id);
    expectFailure(await falaj(['--token', doomed.token, 'whoami'], env(), root), 1, /FALAJ_TOKEN_REVOKED/);
  });

  it('lists the audit log and verifies its chain', async () => {
    const listed = await run('audit', 'list', '--limit', '1000', '--output', 'json');
    expect(listed.code, listed.stderr).toBe(0);
    const actions = (JSON.parse(listed.stdout) as { events: { action: string }[] }).events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['project.create', 'token.create', 'token.revoke']));

    const verified = await run('audit', 'verify');
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain('intact');
  });

  it('config show redacts the master key given in the environment', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const env = userEnv(home, { FALAJ_SECURITY_MASTER_KEY: masterKey });
    const shown = await falaj(['config', 'show'], env, root);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('security.masterKey from env FALAJ_SECURITY_MASTER_KEY');
    expect(shown.stdout).not.toContain(masterKey);
    const json = await falaj(['config', 'show', '--output', 'json'], env, root);
    expect(json.stdout).not.toContain(masterKey);
    expect((JSON.parse(json.stdout) as { config: { security: { masterKey: string } } }).config.security.masterKey).toBe('***');
  });

  it('logs in with another token and whoami shows it', async () => {
    const login = await run('login', '--server', url, '--token', editorToken);
    expect(login.code, login.stderr).toBe(0);
    const me = await run('whoami', '--output', 'json');
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ via: 'token', bindings: [{ project: 'fraud', role: 'editor' }] });
    // the editor may not create projects: refused by the server, one line
    expectFailure(await run('projects', 'create', 'rogue'), 1, /FALAJ_PERMISSION_DENIED/);
  });

  it('fails with one line on stderr: a duplicate project, an unknown command, no login', async () => {
    expectFailure(await asAdmin('projects', 'create', 'fraud'), 1, /FALAJ_PROJECT_EXISTS/);
    expectFailure(await run('frobnicate'), 2, /unknown command 'frobnicate'/);
    expectFailure(await run('login', '--token', 'flj_x'), 2, /--server/);
    const emptyHome = join(root, 'empty-home');
    expectFailure(await falaj(['whoami'], userEnv(emptyHome), root), 1, /not logged in/);
  });

  it('audit verify exits 1 when the database was tampered with behind the server', async () => {
    const db = new Database(join(dataDir, 'metadata.db'));
    try {
      expect(db.prepare("update audit_events set actor='mallory' where seq=2").run().changes).toBe(1);
    } finally {
      db.close();
    }
    const verified = await asAdmin('audit', 'verify');
    expectFailure(verified, 1, /audit chain broken at sequence 2/);
    expect(verified.stdout).not.toContain('intact');
  });

  it('stops cleanly on Ctrl-C, after which commands say the server is unreachable', async () => {
    up!.child.kill('SIGINT');
    const { code, stdout } = await up!.exited;
    expect(code).toBe(0);
    expect(stdout).toContain('Falaj stopped cleanly.');
    expectFailure(await run('whoami'), 1, /FALAJ_SERVER_UNREACHABLE/);
  });
});
