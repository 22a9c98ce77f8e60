import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../../src/security/index.js';
import type { ComputePoolSpec, QueueSpec, TrainingJobSpec } from '../../../src/training/index.js';
import { createTestApp, type MetadataEngine, type TestApp } from '../../helpers/app.js';
import { engineUrl } from '../../helpers/engines.js';
import { driveUntil, finished, nodeCommand } from './drive.js';

const ctx = { principal: SYSTEM_PRINCIPAL, requestId: 'test' };
const pg = engineUrl('postgres');
const ENGINES: MetadataEngine[] = [{ name: 'sqlite' }, ...(pg ? [{ name: 'postgres' as const, url: pg }] : [])];

const SPOT: ComputePoolSpec = {
  kind: 'ComputePool',
  name: 'cheap',
  executor: 'local',
  flavor: { name: 'cpu-spot', capacity: 'spot' },
  capacity: { cpu: 1, memory: '1Gi' },
  costPerHour: 3.6,
};

const RESEARCH: QueueSpec = {
  kind: 'Queue',
  name: 'research',
  cohort: 'lab',
  flavors: [{ flavor: 'cpu-spot', nominal: { cpu: 1, memory: '1Gi' } }],
  priorityClasses: { low: 1, high: 100 },
};

/** Checkpoints each of 30 steps (60 ms each); resumes from the checkpoint. */
const STEPPER = `
const fs = require('node:fs'), path = require('node:path');
const file = path.join(process.env.FALAJ_CHECKPOINT_DIR, 'state.json');
let s = { step: 0 };
if (fs.existsSync(file)) { s = JSON.parse(fs.readFileSync(file, 'utf8')); console.log('resumed at step ' + s.step); }
while (s.step < 30) { const t = Date.now() + 60; while (Date.now() < t); s.step++; fs.writeFileSync(file + '.tmp', JSON.stringify(s)); fs.renameSync(file + '.tmp', file); }
console.log('done');
`;

const job = (name: string, extra: Partial<TrainingJobSpec>): TrainingJobSpec => ({
  kind: 'TrainingJob',
  name,
  queue: 'research',
  command: nodeCommand(STEPPER),
  resources: { cpu: 1, memory: '256Mi' },
  capacity: 'spot',
  gracePeriod: '2s',
  ...extra,
});

describe.each(ENGINES)('pools, queues, quotas and preemption on $name', (engine) => {
  let app: TestApp;
  let editor: string;
  beforeAll(async () => {
    app = await createTestApp(engine);
    editor = (await app.services.tokens.create(ctx, { project: 'default', role: 'editor' })).token;
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('lets only admins change pools and queues, and audits it', async () => {
    const denied = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/cheap', headers: app.auth(editor), payload: SPOT });
    expect(denied.statusCode).toBe(403);
    const created = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/cheap', headers: app.auth(), payload: SPOT });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ action: 'create', pool: { name: 'cheap', flavor: { name: 'cpu-spot', capacity: 'spot', gpuModel: null }, capacity: { cpuMilli: 1000, memoryMiB: 1024, gpus: 0 } } });
    const same = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/cheap', headers: app.auth(), payload: SPOT });
    expect(same.json().action).toBe('unchanged');
    const mismatch = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/other', headers: app.auth(), payload: SPOT });
    expect(mismatch.statusCode).toBe(400);
    const gpuWithoutGpus = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/g', headers: app.auth(), payload: { ...SPOT, name: 'g', flavor: { gpuModel: 'A100' } } });
    expect(gpuWithoutGpus.statusCode).toBe(400);

    const queue = await app.app.inject({ method: 'PUT', url: '/api/v1/projects/default/queues/research', headers: app.auth(), payload: RESEARCH });
    expect(queue.statusCode).toBe(200);
    const deniedQueue = await app.app.inject({ method: 'PUT', url: '/api/v1/projects/default/queues/research', headers: app.auth(editor), payload: RESEARCH });
    expect(deniedQueue.statusCode).toBe(403);
    const events = await app.services.audit.list({ action: 'pool.create', limit: 100 });
    expect(events.some((e) => e.resource === 'pool/cheap')).toBe(true);

    const list = await app.app.inject({ method: 'GET', url: '/api/v1/projects/default/queues', headers: app.auth(editor) });
    const names = (list.json().queues as { name: string }[]).map((q) => q.name);
    expect(names).toEqual(['default', 'research']); // the implicit default queue, then the declared one
  });

  it('validates Kubernetes pools and renders the manifest a job would get on one', async () => {
    const k8s: ComputePoolSpec = {
      kind: 'ComputePool',
      name: 'a100-spot',
      executor: 'kubernetes',
      flavor: { gpuModel: 'A100', capacity: 'spot' },
      capacity: { cpu: 96, memory: '768Gi', gpus: 8 },
      costPerHour: 40,
      kubernetes: { namespace: 'ml-jobs', image: 'ghcr.io/example/train:1.0', nodeSelector: { 'cloud.google.com/gke-spot': 'true' } },
    };
    const bad = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/a100-spot', headers: app.auth(), payload: { ...k8s, kubernetes: { namespace: 'Not A Namespace!' } } });
    expect(bad.statusCode).toBe(400);
    const ok = await app.app.inject({ method: 'PUT', url: '/api/v1/pools/a100-spot', headers: app.auth(), payload: k8s });
    expect(ok.statusCode).toBe(200);
    const spec: TrainingJobSpec = { kind: 'TrainingJob', name: 'finetune', command: ['python3', 'finetune.py'], resources: { cpu: 8, memory: '32Gi', gpus: 2 }, timeout: '2h' };
    const rendered = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs/render?pool=a100-spot', headers: app.auth(editor), payload: spec });
    expect(rendered.statusCode, rendered.body).toBe(200);
    const { Job } = await import('kubernetes-models/batch/v1/Job');
    const manifest = rendered.json().manifest;
    expect(() => new Job(manifest).validate()).not.toThrow();
    expect(manifest.metadata.namespace).toBe('ml-jobs');
    const container = manifest.spec.template.spec.containers[0];
    expect(container.resources.limits['nvidia.com/gpu']).toBe('2');
    expect(JSON.stringify(manifest)).not.toMatch(/flj_[A-Za-z0-9]/);
    // not on the local pool: nothing here can run it, so delete it again
    const del = await app.app.inject({ method: 'DELETE', url: '/api/v1/pools/a100-spot', headers: app.auth() });
    expect(del.statusCode).toBe(204);
  });

  it('refuses at submission a job no quota could ever hold', async () => {
    const res = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(editor), payload: job('too-big', { resources: { cpu: 2 } }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('FALAJ_JOB_UNSCHEDULABLE');
    const unknownClass = await app.app.inject({ method: 'POST', url: '/api/v1/projects/default/jobs', headers: app.auth(editor), payload: job('x', { priority: 'urgent' }) });
    expect(unknownClass.statusCode).toBe(400);
    expect(unknownClass.json().detail).toContain('priority class "urgent"');
  });

  it('preempts a low-priority spot job for a high-priority one, which resumes without spending retries', async () => {
    const service = app.services.training.service;
    const low = await service.submitJob(ctx, 'default', job('low', { priority: 'low' }));
    await driveUntil(app, 'default', low.id, (j) => j.attemptList?.[0]?.state === 'running');
    await new Promise((r) => setTimeout(r, 500)); // a few steps checkpointed
    const high = await service.submitJob(ctx, 'default', job('high', { priority: 'high', command: nodeCommand('console.log("urgent work")') }));
    const highDone = await driveUntil(app, 'default', high.id, finished);
    expect(highDone.status).toBe('succeeded');
    const lowDone = await driveUntil(app, 'default', low.id, finished, 30_000);
    expect(lowDone.status).toBe('succeeded');
    expect(lowDone.attemptList!.map((a) => a.outcome)).toEqual(['preempted', 'succeeded']);
    expect(lowDone.failures).toBe(0);
    const second = await app.app.inject({ method: 'GET', url: `/api/v1/projects/default/jobs/${low.id}/logs?attempt=2`, headers: app.auth() });
    expect(second.body).toMatch(/resumed at step [1-9]/);
    const audit = await app.services.audit.list({ action: 'job.preempt', limit: 100 });
    expect(audit.map((e) => e.resource)).toContain(`job/${low.id}`);
    // priced: 3.6 per hour for the whole (1-core) pool, so one core-second costs 0.001
    expect(lowDone.cost).toBeGreaterThan(0);
    expect(lowDone.attemptList!.reduce((s, a) => s + a.cost, 0)).toBeCloseTo(lowDone.cost, 10);
    const queues = await service.listQueues('default');
    expect(queues.find((q) => q.name === 'research')!.cost).toBeGreaterThan(0);
  });

  it('shows why a job waits', async () => {
    const service = app.services.training.service;
    const a = await service.submitJob(ctx, 'default', job('hog', { command: nodeCommand('setTimeout(() => {}, 60000)') }));
    await driveUntil(app, 'default', a.id, (j) => j.status === 'running');
    const b = await service.submitJob(ctx, 'default', job('waiter', { command: nodeCommand('console.log(1)') }));
    const waiting = await driveUntil(app, 'default', b.id, (j) => j.status === 'queued' && (j.waitingReason ?? '').length > 0 && j.waitingReason !== 'waiting for the scheduler');
    expect(waiting.waitingReason).toBeTruthy();
    await service.cancelJob(ctx, 'default', a.id);
    const done = await driveUntil(app, 'default', b.id, finished);
    expect(done.status).toBe('succeeded');
  });
});
