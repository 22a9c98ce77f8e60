import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttemptLaunch, AttemptOutcome, Executor } from '../../contracts.js';

/** The environment variable that marks a process as one attempt, so a restarted platform can recognise it. */
export const ATTEMPT_MARKER = 'FALAJ_ATTEMPT';

/** Variables a job inherits from the platform's environment; everything else (keys, URLs with secrets) stays out. */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL', 'NODE_OPTIONS_JOB', 'LD_LIBRARY_PATH', 'PYTHONPATH'];

interface Child {
  process: ChildProcess;
  stopReason?: 'cancelled' | 'preempted' | 'timed-out';
  timers: NodeJS.Timeout[];
  graceMs: number;
  exited: Promise<void>;
}

/** The file an attempt's stdout and stderr go to. */
export const attemptLogFile = (workDir: string): string => join(workDir, 'output.log');

/**
 * Runs attempts as child processes on this machine, each in its own process group so a
 * stop reaches its whole tree: SIGTERM, the grace period, then SIGKILL. Output goes
 * straight to a file (the child keeps writing even if the platform dies), which the
 * platform follows and copies to the artifact store when the attempt ends.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  private readonly children = new Map<string, Child>();

  constructor(private readonly baseEnv: NodeJS.ProcessEnv = process.env) {}

  async start(launch: AttemptLaunch, onExit: (outcome: AttemptOutcome) => void): Promise<{ externalId: string }> {
    await Promise.all([launch.workDir, launch.checkpointDir, launch.outputDir].map((d) => mkdir(d, { recursive: true })));
    const env: Record<string, string> = {};
    for (const key of INHERITED) if (this.baseEnv[key] !== undefined) env[key] = this.baseEnv[key]!;
    Object.assign(env, launch.env, { [ATTEMPT_MARKER]: `${launch.jobId}/${launch.attempt}` });
    const fd = openSync(attemptLogFile(launch.workDir), 'a');
    let child: ChildProcess;
    try {
      child = spawn(launch.command[0]!, launch.command.slice(1), { cwd: env.FALAJ_WORKING_DIR ?? launch.workDir, env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const started = await new Promise<{ pid: number } | { error: Error }>((resolve) => {
      child.once('spawn', () => resolve({ pid: child.pid! }));
      child.once('error', (error) => resolve({ error }));
    });
    if ('error' in started) {
      queueMicrotask(() => onExit({ kind: 'failed', exitCode: null, signal: null, message: `could not start ${launch.command[0]}: ${started.error.message}` }));
      return { externalId: 'not-started' };
    }
    const externalId = String(started.pid);
    let resolveExited!: () => void;
    const entry: Child = { process: child, timers: [], graceMs: launch.gracePeriodMs, exited: new Promise((r) => (resolveExited = r)) };
    this.children.set(externalId, entry);
    if (launch.timeoutMs > 0) entry.timers.push(setTimeout(() => void this.stop(externalId, 'timed-out'), launch.timeoutMs));
    child.once('exit', (code, signal) => {
      for (const t of entry.timers) clearTimeout(t);
      this.children.delete(externalId);
      resolveExited();
      onExit(outcomeOf(entry.stopReason, code, signal, launch));
    });
    return { externalId };
  }

  async stop(externalId: string, reason: 'cancelled' | 'preempted' | 'timed-out'): Promise<void> {
    const entry = this.children.get(externalId);
    const pid = Number(externalId);
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (entry) {
      if (entry.stopReason) return; // already stopping
      entry.stopReason = reason;
      signalGroup(pid, 'SIGTERM');
      entry.timers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), entry.graceMs));
      return;
    }
    // a process from before a platform restart: not our child, so no exit status to wait for
    signalGroup(pid, 'SIGTERM');
    setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000).unref();
  }

  /** Alive only if the pid still runs and carries this attempt's marker (pids are reused). */
  async isAlive(externalId: string, attemptKey?: string): Promise<boolean> {
    const pid = Number(externalId);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    if (!attemptKey) return true;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
      return environ.split('\0').includes(`${ATTEMPT_MARKER}=${attemptKey}`);
    } catch {
      return true; // no /proc (macOS): trust the pid
    }
  }

  /** Stops every running attempt (platform shutdown) and waits for them to exit. */
  async stopAll(reason: 'preempted' | 'cancelled'): Promise<void> {
    const waits = [...this.children.entries()].map(([id, entry]) => {
      void this.stop(id, reason);
      return entry.exited;
    });
    await Promise.all(waits);
  }

  get running(): number {
    return this.children.size;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function outcomeOf(stopReason: Child['stopReason'], code: number | null, signal: NodeJS.Signals | null, launch: AttemptLaunch): AttemptOutcome {
  if (stopReason === 'timed-out') return { kind: 'timed-out', message: `attempt ${launch.attempt} ran past its timeout of ${launch.timeoutMs} ms and was stopped` };
  if (stopReason === 'cancelled') return { kind: 'cancelled', message: 'cancelled' };
  if (stopReason === 'preempted') return { kind: 'preempted', message: 'preempted to make room for a higher-priority job' };
  if (code === 0) return { kind: 'succeeded' };
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return { kind: 'failed', exitCode: code, signal, message: `${launch.command[0]} ${how}` };
}
