import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InputError, NotFoundError } from '../../core/errors/index.js';
import { problemResponses, StrictObject } from '../../core/http/problem.schema.js';
import type { ArtifactStore } from '../../registry/index.js';
import { contextOf, GLOBAL_SCOPE, ProjectParams } from '../../security/index.js';
import { ComputePoolSpec, QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import { attemptDirs, logArtifactPath } from '../jobs/attempt-files.js';
import type { TrainingService } from '../jobs/training.service.js';
import type { JobView } from '../jobs/training-views.js';

const Open = Type.Object({}, { additionalProperties: true });
const JobParams = StrictObject({ project: ProjectParams.properties.project, id: Type.String({ pattern: '^job_[0-9a-z]{26}$' }) });
const PoolParams = StrictObject({ name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) });
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export interface TrainingRouteOptions {
  training: TrainingService;
  artifacts: ArtifactStore;
  dataDir: string;
  /** renders the Kubernetes manifest of a job for a pool (lazy: the Kubernetes module loads on first use) */
  render: (job: JobView, pool: string) => Promise<unknown>;
}

/**
 * Compute pools (platform-wide, admins), queues (per project, admins set quotas) and
 * training jobs (per project). Logs stream as plain text; `follow=true` keeps the
 * response open until the attempt ends, like `kubectl logs -f`.
 */
export const trainingRoutes: FastifyPluginAsyncTypebox<TrainingRouteOptions> = async (app, { training, artifacts, dataDir, render }) => {
  app.put('/api/v1/pools/:name', {
    config: { permission: 'compute:manage', scope: () => GLOBAL_SCOPE },
    schema: { tags: ['training'], summary: 'Create or update a compute pool', params: PoolParams, body: ComputePoolSpec, response: { 200: Open, ...problemResponses(400, 422) } },
  }, async (request) => {
    if (request.body.name !== request.params.name) throw new InputError('FALAJ_VALIDATION_FAILED', `the body names pool ${request.body.name}, the path ${request.params.name}`);
    return training.applyPool(contextOf(request), request.body);
  });

  app.get('/api/v1/pools', {
    config: { permission: 'authenticated' },
    schema: { tags: ['training'], summary: 'List compute pools with capacity, usage and price', response: { 200: Type.Object({ pools: Type.Array(Open) }) } },
  }, async () => ({ pools: await training.listPools() }));

  app.get('/api/v1/pools/:name', {
    config: { permission: 'authenticated' },
    schema: { tags: ['training'], summary: 'Show a compute pool', params: PoolParams, response: { 200: Open, ...problemResponses(404) } },
  }, async (request) => training.getPool(request.params.name));

  app.delete('/api/v1/pools/:name', {
    config: { permission: 'compute:manage', scope: () => GLOBAL_SCOPE },
    schema: { tags: ['training'], summary: 'Delete a compute pool with nothing running on it', params: PoolParams, response: { 204: Type.Null(), ...problemResponses(404, 409) } },
  }, async (request, reply) => {
    await training.deletePool(contextOf(request), request.params.name);
    return reply.code(204).send(null);
  });

  app.put('/api/v1/projects/:project/queues/:name', {
    config: { permission: 'compute:manage', scope: () => GLOBAL_SCOPE },
    schema: {
      tags: ['training'],
      summary: 'Create or update a training queue (quotas per flavor, cohort, priority classes)',
      params: StrictObject({ project: ProjectParams.properties.project, name: PoolParams.properties.name }),
      body: QueueSpec,
      response: { 200: Open, ...problemResponses(400, 404, 422) },
    },
  }, async (request) => {
    if (request.body.name !== request.params.name) throw new InputError('FALAJ_VALIDATION_FAILED', `the body names queue ${request.body.name}, the path ${request.params.name}`);
    return training.applyQueue(contextOf(request), request.params.project, request.body);
  });

  app.get('/api/v1/projects/:project/queues', {
    config: { permission: 'job:read' },
    schema: { tags: ['training'], summary: 'List a project\'s queues with quota, usage and cost', params: ProjectParams, response: { 200: Type.Object({ queues: Type.Array(Open) }), ...problemResponses(404) } },
  }, async (request) => ({ queues: await training.listQueues(request.params.project) }));

  app.post('/api/v1/projects/:project/jobs', {
    config: { permission: 'job:write' },
    schema: { tags: ['training'], summary: 'Submit a training job', params: ProjectParams, body: TrainingJobSpec, response: { 201: Open, ...problemResponses(400, 403, 404, 422) } },
  }, async (request, reply) => reply.code(201).send(await training.submitJob(contextOf(request), request.params.project, request.body)));

  app.get('/api/v1/projects/:project/jobs', {
    config: { permission: 'job:read' },
    schema: {
      tags: ['training'],
      summary: 'List training jobs, newest first',
      params: ProjectParams,
      querystring: StrictObject({
        status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
        queue: Type.Optional(Type.String({ maxLength: 63 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      response: { 200: Type.Object({ jobs: Type.Array(Open) }), ...problemResponses(404) },
    },
  }, async (request) => {
    const { status, queue, limit } = request.query;
    return { jobs: await training.listJobs(request.params.project, { status: status ? [status] : undefined, queue, limit }) };
  });

  app.get('/api/v1/projects/:project/jobs/:id', {
    config: { permission: 'job:read' },
    schema: { tags: ['training'], summary: 'Show a job with its attempts', params: JobParams, response: { 200: Open, ...problemResponses(404) } },
  }, async (request) => training.getJob(request.params.project, request.params.id));

  app.post('/api/v1/projects/:project/jobs/:id/cancel', {
    config: { permission: 'job:write' },
    schema: { tags: ['training'], summary: 'Cancel a job (SIGTERM, grace period, SIGKILL)', params: JobParams, response: { 200: Open, ...problemResponses(404, 409) } },
  }, async (request) => training.cancelJob(contextOf(request), request.params.project, request.params.id));

  app.post('/api/v1/projects/:project/jobs/render', {
    config: { permission: 'job:read' },
    schema: {
      tags: ['training'],
      summary: 'Render the Kubernetes Job manifest a job would get on a pool',
      params: ProjectParams,
      querystring: StrictObject({ pool: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }) }),
      body: TrainingJobSpec,
      response: { 200: Open, ...problemResponses(400, 404, 422) },
    },
  }, async (request) => {
    const now = new Date().toISOString();
    const preview: JobView = {
      id: 'job_00000000000000000000000000', project: request.params.project, name: request.body.name, queue: request.body.queue ?? 'default', status: 'queued', priority: 0,
      submittedAt: now, runId: '0'.repeat(32), attempts: 0, failures: 0, nextAttemptAt: null, waitingReason: null, lastError: null, cost: 0, datasetId: null, model: null,
      createdBy: contextOf(request).principal.id, updatedAt: now, finishedAt: null, spec: request.body,
    };
    return { manifest: await render(preview, request.query.pool) };
  });

  app.get('/api/v1/projects/:project/jobs/:id/logs', {
    config: { permission: 'job:read' },
    schema: {
      tags: ['training'],
      summary: 'An attempt\'s output (default: the latest); follow=true streams until it ends',
      params: JobParams,
      querystring: StrictObject({ attempt: Type.Optional(Type.Integer({ minimum: 1 })), follow: Type.Boolean({ default: false }) }),
      response: { 200: Type.String(), ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const { project, id } = request.params;
    const job = await training.getJob(project, id);
    const attempt = request.query.attempt ?? job.attempts;
    if (attempt < 1 || attempt > job.attempts) throw new NotFoundError('FALAJ_ATTEMPT_NOT_FOUND', `job ${id} has ${job.attempts} attempt(s)${job.attempts === 0 ? ': it has not started yet' : ''}`);
    const file = attemptDirs(dataDir, id, attempt).logFile;
    const ended = async () => (await training.getJob(project, id)).attemptList?.find((a) => a.attempt === attempt)?.state === 'ended';
    let local = await stat(file).catch(() => undefined);
    // an attempt still starting has no log file yet: when following, wait for it
    while (!local && request.query.follow && !(await ended())) {
      await new Promise((r) => setTimeout(r, 100));
      local = await stat(file).catch(() => undefined);
    }
    reply.type('text/plain; charset=utf-8');
    if (!local) {
      const stored = await artifacts.open(contextOf(request), project, job.runId, logArtifactPath(attempt)).catch(() => undefined);
      if (!stored) return '';
      return reply.send(stored.stream as unknown as string);
    }
    if (!request.query.follow || (await ended())) return reply.send(createReadStream(file) as unknown as string);
    return reply.send(Readable.from(follow(file, ended, request.raw)) as unknown as string);
  });
};

/** Yields a growing file's new bytes until `done()` and everything is read (or the client goes away). */
async function* follow(file: string, done: () => Promise<boolean>, client: NodeJS.EventEmitter): AsyncGenerator<Buffer> {
  let gone = false;
  client.once('close', () => (gone = true));
  const handle = await open(file, 'r');
  try {
    let position = 0;
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        yield Buffer.from(buffer.subarray(0, bytesRead));
        continue;
      }
      if (gone) return;
      if (await done()) {
        const { bytesRead: last } = await handle.read(buffer, 0, buffer.length, position);
        if (last > 0) yield Buffer.from(buffer.subarray(0, last));
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await handle.close();
  }
}
