import { Job, type IJob } from 'kubernetes-models/batch/v1/Job';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { expect } from 'vitest';
import type { AttemptLaunch, PoolState } from '../../../../src/training/contracts.js';
import {
  renderJobManifest,
  renderTokenSecret,
  resolveKubernetesPoolOptions,
  type KubernetesPoolOptions,
} from '../../../../src/training/executors/kubernetes/index.js';

export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const TOKEN = 'fjt_9f2c0e1d7b7a4f0bb3c4d5e6f7a8b9c0-secret-value';

export function cpuPool(overrides: Partial<PoolState> = {}): PoolState {
  return {
    name: 'k8s-cpu',
    executor: 'kubernetes',
    flavor: { name: 'cpu-on-demand', gpuModel: null, capacity: 'on-demand' },
    costPerHour: 4,
    nodes: [{ name: 'k8s-cpu', capacity: { cpuMilli: 64_000, memoryMiB: 262_144, gpus: 0 }, usedCpuMilli: 0, usedMemoryMiB: 0, gpuUsedMilli: [] }],
    ...overrides,
  };
}

export function gpuSpotPool(): PoolState {
  return {
    name: 'a100-spot',
    executor: 'kubernetes',
    flavor: { name: 'a100-spot', gpuModel: 'A100', capacity: 'spot' },
    costPerHour: 12,
    nodes: [{ name: 'a100-spot', capacity: { cpuMilli: 96_000, memoryMiB: 1_048_576, gpus: 8 }, usedCpuMilli: 0, usedMemoryMiB: 0, gpuUsedMilli: new Array(8).fill(0) }],
  };
}

/** An attempt as the training runner builds it (env from `jobEnvironment`, dirs from `attemptDirs`). */
export function launch(overrides: Partial<AttemptLaunch> = {}): AttemptLaunch {
  const pool = overrides.pool ?? cpuPool();
  const gpus = overrides.admission?.gpuIndices.length ?? 0;
  const base: AttemptLaunch = {
    jobId: 'job_01j9zq8k4m7vtcg2w6r5x3n1ab',
    jobName: 'train-delays',
    project: 'flights',
    attempt: 1,
    command: ['python', '-m', 'trainer.fit', '--epochs', '20'],
    env: {
      FALAJ_JOB_ID: 'job_01j9zq8k4m7vtcg2w6r5x3n1ab',
      FALAJ_RUN_ID: 'run_7d41',
      FALAJ_TRACKING_URI: 'https://falaj.internal.example:8080',
      FALAJ_TOKEN: TOKEN,
      MLFLOW_TRACKING_TOKEN: TOKEN,
      FALAJ_CHECKPOINT_DIR: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-1/checkpoint',
      FALAJ_OUTPUT_DIR: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-1/output',
      FALAJ_TRAINING_DATA: '/var/lib/falaj/datasets/ds_01/training.parquet',
      OMP_NUM_THREADS: '4',
      MKL_NUM_THREADS: '4',
      CUDA_VISIBLE_DEVICES: gpus > 0 ? '0,1' : '',
    },
    image: 'ghcr.io/acme/trainer:1.4.2',
    admission: {
      jobId: 'job_01j9zq8k4m7vtcg2w6r5x3n1ab',
      pool: pool.name,
      flavor: pool.flavor.name,
      node: pool.nodes[0]!.name,
      cpuMilli: 4000,
      memoryMiB: 16_384,
      gpuIndices: [],
      gpuMilli: 1000,
      borrowed: false,
    },
    pool,
    timeoutMs: 0,
    gracePeriodMs: 30_000,
    workDir: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-1',
    checkpointDir: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-1/checkpoint',
    outputDir: '/var/lib/falaj/jobs/job_01j9zq8k4m7vtcg2w6r5x3n1ab/attempt-1/output',
  };
  return { ...base, ...overrides };
}

export function gpuSpotLaunch(overrides: Partial<AttemptLaunch> = {}): AttemptLaunch {
  const pool = gpuSpotPool();
  const l = launch({ pool, ...overrides });
  return {
    ...l,
    env: { ...l.env, CUDA_VISIBLE_DEVICES: '0,1' },
    admission: { ...l.admission, pool: pool.name, flavor: pool.flavor.name, node: pool.nodes[0]!.name, cpuMilli: 16_000, memoryMiB: 131_072, gpuIndices: [0, 1], ...overrides.admission },
  };
}

export function poolOptions(raw: Record<string, unknown> = {}): KubernetesPoolOptions {
  return resolveKubernetesPoolOptions(raw);
}

/**
 * Validates a Job against the Kubernetes OpenAPI schema (kubernetes-models, ajv), then
 * what that schema does not check: object names (DNS-1123) and label keys and values.
 */
export function expectValidJob(manifest: IJob): IJob {
  new Job(manifest).validate();
  expectValidMeta(manifest.metadata);
  expectValidMeta(manifest.spec?.template.metadata);
  for (const v of manifest.spec?.template.spec?.volumes ?? []) expect(v.name).toMatch(DNS_1123_LABEL);
  for (const c of manifest.spec?.template.spec?.containers ?? []) expect(c.name).toMatch(DNS_1123_LABEL);
  const mounts = manifest.spec?.template.spec?.containers[0]?.volumeMounts ?? [];
  expect(new Set(mounts.map((m) => m.mountPath)).size).toBe(mounts.length); // the API server refuses duplicates
  for (const e of manifest.spec?.template.spec?.containers[0]?.env ?? []) expect(e.value === undefined || e.valueFrom === undefined).toBe(true);
  return manifest;
}

export function expectValidSecret(secret: ISecret): ISecret {
  new Secret(secret).validate();
  expectValidMeta(secret.metadata);
  for (const key of Object.keys(secret.data ?? {})) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
  return secret;
}

function expectValidMeta(meta: { name?: string; namespace?: string; labels?: Record<string, string> } | undefined): void {
  if (meta?.name !== undefined) {
    expect(meta.name).toMatch(DNS_1123_LABEL);
    expect(meta.name.length).toBeLessThanOrEqual(63);
  }
  if (meta?.namespace !== undefined) expect(meta.namespace).toMatch(DNS_1123_LABEL);
  for (const [key, value] of Object.entries(meta?.labels ?? {})) {
    const [prefix, name] = key.includes('/') ? key.split('/') : [undefined, key];
    if (prefix !== undefined) expect(prefix).toMatch(DNS_1123_SUBDOMAIN);
    expect(name).toMatch(LABEL_NAME);
    expect(name!.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(LABEL_VALUE);
    expect(value.length).toBeLessThanOrEqual(63);
  }
}

/** Renders and validates: every manifest a test looks at goes through here. */
export function render(l: AttemptLaunch, options: KubernetesPoolOptions = poolOptions()): IJob {
  return expectValidJob(renderJobManifest(l, options));
}

export function renderSecret(l: AttemptLaunch, options: KubernetesPoolOptions = poolOptions()): ISecret {
  const secret = renderTokenSecret(l, options);
  expect(secret).not.toBeNull();
  return expectValidSecret(secret!);
}

export function container(job: IJob) {
  return job.spec!.template.spec!.containers[0]!;
}
