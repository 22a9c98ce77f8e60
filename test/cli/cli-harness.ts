import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

/**
 * The built `falaj` CLI run as a user runs it: `falaj up` in one process, the other
 * commands in others, sharing a home directory (hence a credentials file).
 */
export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin', 'falaj.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a user would have: a home of our own, no FALAJ_* settings leaking in. */
export function userEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('FALAJ_') && !(key in extra)) delete env[key];
  delete env.XDG_CONFIG_HOME;
  return env;
}

export function falaj(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A failure as the CLI promises it: non-zero, one line on stderr, `falaj: …`. */
export function expectFailure(result: Result, code: number, text: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^falaj: /);
  expect(lines[0]).toMatch(text);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export interface Up {
  child: ChildProcess;
  output: () => string;
  /** resolves with the exit code and all stdout once the process ends */
  exited: Promise<{ code: number | null; stdout: string }>;
}

/** Every `falaj up` this file started, so that none outlives it. */
export const upProcesses: ChildProcess[] = [];

/** Starts `falaj up` and waits until it says it is ready. */
export async function startUp(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Up> {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  upProcesses.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stdout: string }>((ok) => child.on('close', (code) => ok({ code, stdout })));
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('Press Ctrl-C')) ready();
    });
    void exited.then(({ code }) => fail(new Error(`falaj up exited ${code} before it was ready: ${stderr}${stdout}`)));
  });
  return { child, output: () => stdout, exited };
}

/** Builds dist/ when a test runs before `npm run build`. */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
}

/** Kills every `falaj up` a test file started. */
export async function killUps(): Promise<void> {
  for (const child of upProcesses) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((ok) => child.once('close', ok));
    child.kill('SIGKILL');
    await gone;
  }
}
