import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import type { TrainingJobSpec } from '../../../src/training/index.js';
import { LocalExecutor, TrainingRunner } from '../../../src/training/index.js';
import { falajPolicy } from '../../../src/training/scheduler/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { driveUntil, finished, nodeCommand } from './drive.js';

const ctx = { principal: SYSTEM_PRINCIPAL, requestId: 'test' };

/**
 * A deterministic computation in 40 steps that checkpoints after every step. With
 * CRASH_AT set, its first attempt kills itself with SIGKILL at that step (a crash: no
 * chance to clean up), so the next attempt must resume from the saved checkpoint.
 */
const STEPPER = `
const fs = require('node:fs'), path = require('node:path');
const file = path.join(process.env.FALAJ_CHECKPOINT_DIR, 'state.json');
let state = { step: 0, x: 7 };
if (fs.existsSync(file)) { state = JSON.parse(fs.readFileSync(file, 'utf8')); console.log('resumed at step ' + state.step); }
const crashAt = Number(process.env.CRASH_AT || 0);
while (state.step < 40) {
  state.x = (state.x * 48271 + state.step) % 2147483647;
  state.step += 1;
  fs.writeFileSync(file + '.tmp', JSON.stringify(state)); fs.renameSync(file + '.tmp', file);
  if (crashAt && state.step === crashAt && process.env.FALAJ_ATTEMPT_NUMBER === '1') process.kill(process.pid, 'SIGKILL');
  if (process.env.STEP_MS) { const until = Date.now() + Number(process.env.STEP_MS); while (Date.now() < until); }
}
fs.mkdirSync(process.env.FALAJ_OUTPUT_DIR, { recursive: true });
console.log('result=' + state.x);
`;

const job = (name: string, extra: Partial<TrainingJobSpec> = {}): TrainingJobSpec => ({
  kind: 'TrainingJob',
  name,
  command: nodeCommand('console.log("hello from " + process.env.FALAJ_JOB_NAME)'),
  resources: { cpu: 0.5, memory: '128Mi' },
  backoff: { initial: '50ms', max: '200ms' },
  gracePeriod: '500ms',
  ...extra,
});

async function logOf(app: TestApp, id: string, attempt?: number): Promise<string> {
  const res = await app.app.inject({ method: 'GET', url: `/api/v1/projects/default/jobs/${id}/logs${attempt ? `?attempt=${attempt}` : ''}`, headers: app.auth() });
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('training jobs on the local executor', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('runs a command with its environment, keeps its log and prices it', async () => {
    const env = 'console.log(JSON.stringify({ run: process.env.FALAJ_RUN_ID, cuda: process.env.CUDA_VISIBLE_DEVICES, omp: process.env.OMP_NUM_THREADS, ckpt: !!process.env.FALAJ_CHECKPOINT_DIR, token: (process.env.FALAJ_TOKEN||"").slice(0,4), secret: process.env.FALAJ_SECURITY_MASTER_KEY ?? null }))';
    const submitted = await app.services.training.service.submitJob(ctx, 'default', job('env-check', { command: nodeCommand(env), resources: { cpu: 1, memory: '128Mi' } }));
    expect(submitted.status).toBe('queued');
    const done = await driveUntil(app, 'default', submitted.id, finished);
    expect(done.status).toBe('succeeded');
    expect(done.attemptList).toHaveLength(1);
    expect(done.attemptList![0]).toMatchObject({ pool: 'local', outcome: 'succeeded', exitCode: 0, state: 'ended', cpuMilli: 1000 });
    const printed = JSON.parse((await logOf(app, done.id)).trim()) as Record<string, unknown>;
    expect(printed).toEqual({ run: done.runId, cuda: '', omp: '1', ckpt: true, token: 'flj_', secret: null });
    // the log went to the run's artifacts too, and the run is finished
    const artifacts = await app.services.artifacts.list('default', done.runId, 'logs');
    expect(artifacts.map((a) => a.path)).toEqual(['logs/attempt-1.log']);
    const run = await app.services.tracking.getRun('default', done.runId);
    expect(run.info.status).toBe('FINISHED');
    // the attempt's token was revoked when it ended
    const tokens = await app.services.tokens.list('default');
    expect(tokens.filter((t) => t.name.startsWith(`job-${done.id}`)).every((t) => t.revokedAt !== null)).toBe(true);
  });

  it('retries a failing job with backoff, then stops with its last error and log', async () => {
    const submitted = await app.services.training.service.submitJob(ctx, 'default', job('always-fails', { command: nodeCommand('console.error("boom: bad input"); process.exit(3)'), retries: 2 }));
    const done = await driveUntil(app, 'default', submitted.id, finished);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(3);
    expect(done.failures).toBe(3);
    expect(done.attemptList!.map((a) => [a.outcome, a.exitCode])).toEqual([['failed', 3], ['failed', 3], ['failed', 3]]);
    expect(done.lastError).toContain('exited with code 3');
    expect(done.lastError).toContain('boom: bad input');
    const run = await app.services.tracking.getRun('default', done.runId);
    expect(run.info.status).toBe('FAILED');
  });

  it('stops an attempt that runs past its timeout (SIGTERM, grace, SIGKILL)', async () => {
    // ignores SIGTERM, so only SIGKILL after the grace period ends it
    const stubborn = 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); setInterval(() => {}, 1000); console.log("started")';
    const submitted = await app.services.training.service.submitJob(ctx, 'default', job('too-slow', { command: nodeCommand(stubborn), timeout: '700ms', gracePeriod: '300ms', retries: 0 }));
    const done = await driveUntil(app, 'default', submitted.id, finished);
    expect(done.status).toBe('failed');
    expect(done.attemptList![0]!.outcome).toBe('timed-out');
    expect(await logOf(app, done.id)).toContain('ignoring SIGTERM');
  });

  it('cancels a running job', async () => {
    const submitted = await app.services.training.service.submitJob(ctx, 'default', job('long', { command: nodeCommand('console.log("working"); setInterval(() => {}, 1000)') }));
    await driveUntil(app, 'default', submitted.id, (j) => j.attemptList?.[0]?.state === 'running');
    await app.services.training.service.cancelJob(ctx, 'default', submitted.id);
    const done = await driveUntil(app, 'default', submitted.id, finished);
    expect(done.status).toBe('cancelled');
    expect(done.attemptList![0]!.outcome).toBe('cancelled');
    const pid = Number(done.attemptList![0]!.externalId);
    expect(() => process.kill(pid, 0)).toThrow();
    const again = await app.app.inject({ method: 'POST', url: `/api/v1/projects/default/jobs/${done.id}/cancel`, headers: app.auth() });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('FALAJ_JOB_FINISHED');
  });

  it('resumes a crashed job from its checkpoint and gets the uninterrupted result', async () => {
    const straight = await app.services.training.service.submitJob(ctx, 'default', job('stepper-straight', { command: nodeCommand(STEPPER) }));
    const crashed = await app.services.training.service.submitJob(ctx, 'default', job('stepper-crash', { command: nodeCommand(STEPPER), env: { CRASH_AT: '17' } }));
    const a = await driveUntil(app, 'default', straight.id, finished);
    const b = await driveUntil(app, 'default', crashed.id, finished);
    expect(a.status).toBe('succeeded');
    expect(b.status).toBe('succeeded');
    expect(b.attemptList!.map((x) => x.outcome)).toEqual(['failed', 'succeeded']);
    expect(b.attemptList![0]!.message).toContain('SIGKILL');
    const resumedLog = await logOf(app, b.id, 2);
    expect(resumedLog).toContain('resumed at step 17');
    const result = (log: string) => /result=(\d+)/.exec(log)?.[1];
    expect(result(resumedLog)).toBeDefined();
    expect(result(resumedLog)).toBe(result(await logOf(app, a.id)));
    // the checkpoint was saved to the artifact store between the attempts
    const saved = await app.services.artifacts.list('default', b.runId, 'checkpoints');
    expect(saved.map((s) => s.path)).toContain('checkpoints/attempt-1/state.json');
  });

  it('after a platform restart, requeues an attempt it can no longer follow and resumes it', async () => {
    const service = app.services.training.service;
    await app.services.training.runner!.close(); // the app's own loop steps aside (gives its lease back)
    const submitted = await service.submitJob(ctx, 'default', job('survivor', { command: nodeCommand(STEPPER), env: { STEP_MS: '100' } }));
    // replica A starts the job, then "dies": its executor forgets its children, its loop stops
    class Forgetful extends LocalExecutor {
      override start(launch: Parameters<LocalExecutor['start']>[0]) {
        return super.start(launch, () => undefined);
      }
    }
    const base = { db: app.services.database.db, audit: app.services.audit, service, tracking: app.services.tracking, artifacts: app.services.artifacts, datasets: app.services.datasets, models: app.services.models, tokens: app.services.tokens, policy: falajPolicy(), dataDir: app.dataDir, trackingUri: () => 'http://127.0.0.1:1', leaseTtlMs: 300 };
    const a = new TrainingRunner({ ...base, executors: { local: new Forgetful() } });
    await a.tick();
    await a.settle();
    const running = await service.getJob('default', submitted.id);
    expect(running.attemptList![0]!.state).toBe('running');
    const pid = Number(running.attemptList![0]!.externalId);
    await new Promise((r) => setTimeout(r, 1200)); // some steps checkpointed; A's lease expires

    const b = new TrainingRunner({ ...base, executors: { local: new LocalExecutor() } });
    const deadline = Date.now() + 20_000;
    let view = running;
    while (!finished(view) && Date.now() < deadline) {
      await b.tick();
      await new Promise((r) => setTimeout(r, 50));
      view = await service.getJob('default', submitted.id);
    }
    await b.settle();
    view = await service.getJob('default', submitted.id);
    expect(view.status).toBe('succeeded');
    expect(view.attemptList!.map((x) => x.outcome)).toEqual(['lost', 'succeeded']);
    expect(view.failures).toBe(0); // lost attempts do not spend the retry budget
    expect(() => process.kill(pid, 0)).toThrow(); // the orphan was stopped
    expect(await logOf(app, view.id, 2)).toMatch(/resumed at step [1-9]/);
    await b.close();
  });

  it('answers problem details for bad input and unknown jobs', async () => {
    const bad = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(), payload: { kind: 'TrainingJob', name: 'x', command: [] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('FALAJ_VALIDATION_FAILED');
    const badEnv = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(), payload: { kind: 'TrainingJob', name: 'x', command: ['true'], env: { 'NOT-A-NAME': '1' } } });
    expect(badEnv.statusCode).toBe(400);
    const both = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(), payload: { kind: 'TrainingJob', name: 'x', command: ['true'], trainer: { type: 'tabular' } } });
    expect(both.statusCode).toBe(400);
    const huge = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(), payload: { kind: 'TrainingJob', name: 'x', command: ['true'], resources: { cpu: 4096 } } });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().code).toBe('FALAJ_JOB_UNSCHEDULABLE');
    const missing = await app.app.inject({ method: 'GET', url: '/api/v1/projects/default/jobs/job_00000000000000000000000000', headers: app.auth() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('FALAJ_JOB_NOT_FOUND');
  });
});

describe('local pool', () => {
  it('is detected at start and listed with its capacity', async () => {
    const app = await createTestApp();
    try {
      const res = await app.app.inject({ method: 'GET', url: '/api/v1/pools', headers: app.auth() });
      expect(res.statusCode).toBe(200);
      const [local] = res.json().pools as { name: string; executor: string; capacity: { cpuMilli: number } }[];
      expect(local).toMatchObject({ name: 'local', executor: 'local' });
      expect(local!.capacity.cpuMilli).toBeGreaterThan(0);
    } finally {
      await app.dispose();
    }
  });
});
