import type { JobView, PoolView, QueueView } from '../jobs/training-views.js';
import type { ComputePoolSpec, QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import type { JobStatus } from '../jobs/training.table.js';

/**
 * The training half of the typed SDK (`FalajClient.training`). Type-only imports: loading
 * it loads no server code.
 */
export interface TrainingTransport {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  stream(path: string, onChunk: (chunk: Buffer) => void): Promise<void>;
}

export type { JobView, PoolView, QueueView, ComputePoolSpec, QueueSpec, TrainingJobSpec, JobStatus };

const enc = encodeURIComponent;

export function trainingClient(t: TrainingTransport) {
  return {
    applyPool: (spec: ComputePoolSpec) => t.json<{ pool: PoolView; action: string }>('PUT', `/api/v1/pools/${enc(spec.name)}`, spec),
    listPools: async () => (await t.json<{ pools: PoolView[] }>('GET', '/api/v1/pools')).pools,
    getPool: (name: string) => t.json<PoolView>('GET', `/api/v1/pools/${enc(name)}`),
    deletePool: (name: string) => t.json<void>('DELETE', `/api/v1/pools/${enc(name)}`),
    applyQueue: (project: string, spec: QueueSpec) => t.json<{ queue: QueueView; action: string }>('PUT', `/api/v1/projects/${enc(project)}/queues/${enc(spec.name)}`, spec),
    listQueues: async (project: string) => (await t.json<{ queues: QueueView[] }>('GET', `/api/v1/projects/${enc(project)}/queues`)).queues,
    submit: (project: string, spec: TrainingJobSpec) => t.json<JobView>('POST', `/api/v1/projects/${enc(project)}/jobs`, spec),
    list: async (project: string, q: { status?: JobStatus; queue?: string; limit?: number } = {}) => {
      const params = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`);
      return (await t.json<{ jobs: JobView[] }>('GET', `/api/v1/projects/${enc(project)}/jobs${params.length ? `?${params.join('&')}` : ''}`)).jobs;
    },
    get: (project: string, id: string) => t.json<JobView>('GET', `/api/v1/projects/${enc(project)}/jobs/${enc(id)}`),
    cancel: (project: string, id: string) => t.json<JobView>('POST', `/api/v1/projects/${enc(project)}/jobs/${enc(id)}/cancel`),
    render: async (project: string, spec: TrainingJobSpec, pool: string) =>
      (await t.json<{ manifest: unknown }>('POST', `/api/v1/projects/${enc(project)}/jobs/render?pool=${enc(pool)}`, spec)).manifest,
    /** An attempt's output; with `follow`, chunks arrive until the attempt ends. */
    logs: (project: string, id: string, onChunk: (chunk: Buffer) => void, opts: { attempt?: number; follow?: boolean } = {}) =>
      t.stream(`/api/v1/projects/${enc(project)}/jobs/${enc(id)}/logs?follow=${opts.follow ? 'true' : 'false'}${opts.attempt ? `&attempt=${opts.attempt}` : ''}`, onChunk),
  };
}

export type TrainingClient = ReturnType<typeof trainingClient>;
