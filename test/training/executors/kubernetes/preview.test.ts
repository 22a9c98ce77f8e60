import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ComputePoolSpec, JobView, PoolView, TrainingJobSpec } from '../../../../src/training/index.js';
import { PLACEHOLDER_TOKEN, renderJobPreview } from '../../../../src/training/executors/kubernetes/index.js';
import { container, expectValidJob } from './fixtures.js';

function poolView(spec: ComputePoolSpec): PoolView {
  return {
    name: spec.name,
    executor: spec.executor,
    flavor: { name: spec.flavor.name ?? 'a100-spot', gpuModel: spec.flavor.gpuModel ?? null, capacity: spec.flavor.capacity ?? 'on-demand' },
    capacity: { cpuMilli: 96_000, memoryMiB: 786_432, gpus: 8 },
    nodes: 1,
    costPerHour: spec.costPerHour ?? 0,
    used: { cpuMilli: 0, memoryMiB: 0, gpus: 0 },
    version: 1,
    updatedAt: '2025-03-02T09:00:00Z',
    spec,
  };
}

function jobView(spec: TrainingJobSpec): JobView {
  return {
    id: 'job_01j9zq8k4m7vtcg2w6r5x3n1ab',
    project: 'flights',
    name: spec.name,
    queue: 'default',
    status: 'queued',
    priority: 0,
    submittedAt: '2025-03-02T09:59:00Z',
    runId: 'run_7d41',
    attempts: 0,
    failures: 0,
    nextAttemptAt: null,
    waitingReason: null,
    lastError: null,
    cost: 0,
    datasetId: null,
    model: null,
    createdBy: 'usr_alice',
    updatedAt: '2025-03-02T09:59:00Z',
    finishedAt: null,
    spec,
  };
}

const spotPool: ComputePoolSpec = {
  kind: 'ComputePool',
  name: 'a100-spot',
  executor: 'kubernetes',
  flavor: { gpuModel: 'A100', capacity: 'spot' },
  capacity: { cpu: 96, memory: '768Gi', gpus: 8 },
  kubernetes: { image: 'ghcr.io/acme/trainer:1.4.2', checkpointVolumeClaim: 'falaj-checkpoints', spot: { nodeSelector: { 'cloud.google.com/gke-spot': 'true' } } },
};

const trainJob: TrainingJobSpec = {
  kind: 'TrainingJob',
  name: 'train-delays',
  command: ['python', 'fit.py'],
  resources: { cpu: 16, memory: '128Gi', gpus: 2 },
  timeout: '2h',
  gracePeriod: '45s',
  priority: 'high',
  env: { HF_TOKEN: 'hf_secret', EPOCHS: '20' },
};

describe('renderJobPreview (falaj jobs render)', () => {
  it('renders the next attempt of a job on a Kubernetes pool, with no secret in it', () => {
    const job = expectValidJob(renderJobPreview(jobView(trainJob), poolView(spotPool), '/var/lib/falaj'));
    const c = container(job);
    expect(job.metadata!.name).toMatch(/^train-delays-[0-9a-f]{8}-1$/);
    expect(c.resources!.limits).toEqual({ cpu: '16000m', memory: '131072Mi', 'nvidia.com/gpu': '2' });
    expect(job.spec!.activeDeadlineSeconds).toBe(7260);
    expect(job.spec!.template.spec!.terminationGracePeriodSeconds).toBe(45);
    expect(job.spec!.template.spec!.nodeSelector).toEqual({ 'cloud.google.com/gke-spot': 'true' });
    expect(c.env).toContainEqual({ name: 'EPOCHS', value: '20' });
    const yaml = stringify(job);
    expect(yaml).not.toContain('hf_secret');
    expect(yaml).not.toContain(PLACEHOLDER_TOKEN);
  });

  it('refuses a pool of the local executor', () => {
    const local = poolView({ ...spotPool, executor: 'local', kubernetes: undefined });
    expect(() => renderJobPreview(jobView(trainJob), local, '/var/lib/falaj')).toThrow(/local executor/);
  });
});

describe('start-up cost', () => {
  // @kubernetes/client-node and kubernetes-models' validators are large: the executor's
  // modules may import them only as types, and the client only with `await import()`
  it('imports neither @kubernetes/client-node nor kubernetes-models at run time, except lazily', () => {
    const dir = join(import.meta.dirname, '../../../../src/training/executors/kubernetes');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const staticImports = [...text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'([^']+)'/gm)].map((m) => m[1]);
      expect(staticImports.filter((m) => m!.startsWith('@kubernetes/') || m!.startsWith('kubernetes-models')), file).toEqual([]);
    }
  });
});
