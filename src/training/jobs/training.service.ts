import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../storage/metadata/index.js';
import { authorize, type AuditLog, type ProjectService, type RequestContext } from '../../security/index.js';
import type { TrackingService } from '../../tracking/index.js';
import type { PoolState } from '../contracts.js';
import { jobRequirements, poolState, queueQuotas } from '../definitions/resolve.js';
import type { ComputePoolSpec, QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import { resolveKubernetesPoolOptions } from '../executors/kubernetes/kubernetes-pool.js';
import * as repo from './training.repository.js';
import { FINAL_STATUSES, type JobStatus, type TrainingJobTable } from './training.table.js';
import { toJobView, toPoolView, toQueueView, type JobView, type PoolView, type QueueView } from './training-views.js';

export const DEFAULT_QUEUE = 'default';

/**
 * Pools, queues and jobs as the API sees them: apply and list pools (platform-wide) and
 * queues (per project), submit, list, show and cancel jobs. The scheduling loop
 * ({@link TrainingRunner}) does the rest.
 */
export class TrainingService {
  private readonly clock: Clock;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly audit: AuditLog,
    private readonly projects: ProjectService,
    private readonly tracking: TrackingService,
    private readonly options: { clock?: Clock; onChange?: () => void } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  // --- pools -------------------------------------------------------------------------

  async applyPool(ctx: RequestContext, spec: ComputePoolSpec): Promise<{ pool: PoolView; action: 'create' | 'update' | 'unchanged' }> {
    poolState(spec); // checks GPU flavor against capacity
    if (spec.executor === 'kubernetes') {
      try {
        resolveKubernetesPoolOptions(spec.kubernetes ?? {}, `ComputePool/${spec.name}.kubernetes`);
      } catch (err) {
        throw new InputError('FALAJ_VALIDATION_FAILED', err instanceof Error ? err.message : String(err));
      }
    } else if (spec.kubernetes) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `ComputePool/${spec.name}: kubernetes options need executor: kubernetes`);
    }
    const now = this.clock.now().toISOString();
    const result = await this.db.transaction().execute(async (tx) => {
      const existing = await repo.findPool(tx, spec.name);
      const json = JSON.stringify(spec);
      if (existing && existing.spec === json) return { row: existing, action: 'unchanged' as const };
      const row = { name: spec.name, spec: json, version: (existing?.version ?? 0) + 1, created_at: existing?.created_at ?? now, updated_at: now, updated_by: ctx.principal.id };
      await repo.upsertPool(tx, row);
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: existing ? 'pool.update' : 'pool.create',
        resource: `pool/${spec.name}`,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { version: row.version, executor: spec.executor, flavor: spec.flavor, capacity: spec.capacity, costPerHour: spec.costPerHour ?? 0 },
      });
      return { row, action: existing ? ('update' as const) : ('create' as const) };
    });
    this.options.onChange?.();
    return { pool: toPoolView(result.row, await repo.activeAttempts(this.db)), action: result.action };
  }

  async listPools(): Promise<PoolView[]> {
    const [rows, active] = await Promise.all([repo.listPools(this.db), repo.activeAttempts(this.db)]);
    return rows.map((r) => toPoolView(r, active));
  }

  async getPool(name: string): Promise<PoolView> {
    const row = await repo.findPool(this.db, name);
    if (!row) throw new NotFoundError('FALAJ_POOL_NOT_FOUND', `compute pool ${name} does not exist: falaj pools list shows the pools`);
    return toPoolView(row, await repo.activeAttempts(this.db));
  }

  async deletePool(ctx: RequestContext, name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await repo.findPool(tx, name);
      if (!row) throw new NotFoundError('FALAJ_POOL_NOT_FOUND', `compute pool ${name} does not exist`);
      const busy = (await repo.activeAttempts(tx)).filter((a) => a.pool === name);
      if (busy.length > 0) throw new ConflictError('FALAJ_POOL_IN_USE', `compute pool ${name} runs ${busy.length} attempt(s): cancel or wait for them first`);
      await repo.deletePool(tx, name);
      await this.audit.append(tx, { actor: ctx.principal.id, action: 'pool.delete', resource: `pool/${name}`, outcome: 'success', requestId: ctx.requestId, details: {} });
    });
  }

  /** Every pool's scheduler view, nothing in use. */
  async poolStates(): Promise<PoolState[]> {
    return (await repo.listPools(this.db)).map((r) => poolState(JSON.parse(r.spec) as ComputePoolSpec));
  }

  // --- queues ------------------------------------------------------------------------

  async applyQueue(ctx: RequestContext, project: string, spec: QueueSpec): Promise<{ queue: QueueView; action: 'create' | 'update' | 'unchanged' }> {
    await this.projects.get(project);
    queueQuotas(spec);
    const now = this.clock.now().toISOString();
    const result = await this.db.transaction().execute(async (tx) => {
      const existing = await repo.findQueue(tx, project, spec.name);
      const json = JSON.stringify(spec);
      if (existing && existing.spec === json) return { row: existing, action: 'unchanged' as const };
      const row = { project, name: spec.name, spec: json, version: (existing?.version ?? 0) + 1, created_at: existing?.created_at ?? now, updated_at: now, updated_by: ctx.principal.id };
      await repo.upsertQueue(tx, row);
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: existing ? 'queue.update' : 'queue.create',
        resource: `queue/${spec.name}`,
        project,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { version: row.version, cohort: spec.cohort ?? null, flavors: spec.flavors },
      });
      return { row, action: existing ? ('update' as const) : ('create' as const) };
    });
    this.options.onChange?.();
    return { queue: (await this.queueViews(project)).find((q) => q.name === spec.name)!, action: result.action };
  }

  async listQueues(project: string): Promise<QueueView[]> {
    await this.projects.get(project);
    return this.queueViews(project);
  }

  /**
   * The queue a job names. A project's `default` queue exists without being declared:
   * every pool's flavor, with the pools' whole capacity as nominal quota, so a small
   * company needs no quota set-up.
   */
  async queueSpec(project: string, name: string): Promise<QueueSpec> {
    const row = await repo.findQueue(this.db, project, name);
    if (row) return JSON.parse(row.spec) as QueueSpec;
    if (name === DEFAULT_QUEUE) return defaultQueueSpec(await this.poolStates());
    throw new NotFoundError('FALAJ_QUEUE_NOT_FOUND', `project ${project} has no training queue ${name}: falaj queues list shows its queues`);
  }

  private async queueViews(project: string): Promise<QueueView[]> {
    const [rows, active, jobs, costs] = await Promise.all([
      repo.listQueues(this.db, project),
      repo.activeAttempts(this.db),
      repo.listJobs(this.db, { project, status: ['queued', 'running'], limit: 100_000 }),
      repo.costByQueue(this.db, project),
    ]);
    const all = [...rows];
    if (!rows.some((r) => r.name === DEFAULT_QUEUE)) {
      const now = this.clock.now().toISOString();
      all.unshift({ project, name: DEFAULT_QUEUE, spec: JSON.stringify(defaultQueueSpec(await this.poolStates())), version: 0, created_at: now, updated_at: now, updated_by: 'system' });
    }
    return all.map((r) =>
      toQueueView(
        r,
        active,
        { pending: jobs.filter((j) => j.queue === r.name && j.status === 'queued').length, running: jobs.filter((j) => j.queue === r.name && j.status === 'running').length },
        costs.get(`${project}/${r.name}`) ?? 0,
      ),
    );
  }

  // --- jobs --------------------------------------------------------------------------

  async submitJob(ctx: RequestContext, project: string, spec: TrainingJobSpec): Promise<JobView> {
    await this.projects.get(project);
    if (spec.inputs?.trainingData) authorize(ctx.principal, 'dataset:write', project);
    if (spec.outputs?.registerModel) authorize(ctx.principal, 'model:write', project);
    const queueName = spec.queue ?? DEFAULT_QUEUE;
    const queue = await this.queueSpec(project, queueName);
    const req = jobRequirements(spec, queue.priorityClasses);
    await this.checkSchedulable(spec, req, queue);

    const now = this.clock.now();
    const id = newId('job', now.getTime());
    const experimentName = spec.experiment ?? spec.name;
    const experiment = await this.tracking.getExperimentByName(project, experimentName).catch(async (err: unknown) => {
      if (err instanceof NotFoundError) return this.tracking.createExperiment(ctx, project, { name: experimentName });
      throw err;
    });
    const run = await this.tracking.createRun(ctx, project, {
      experimentId: experiment.id,
      name: `${spec.name}-${id.slice(-6)}`,
      tags: { 'falaj.job.id': id, 'falaj.job.name': spec.name, 'falaj.job.queue': queueName, ...(spec.tags ?? {}) },
    });
    const row: TrainingJobTable = {
      id,
      project,
      name: spec.name,
      queue: queueName,
      spec: JSON.stringify(spec),
      status: 'queued',
      priority: req.priority,
      submitted_at: now.toISOString(),
      run_id: run.info.id,
      attempts: 0,
      failures: 0,
      next_attempt_at: null,
      waiting_reason: 'waiting for the scheduler',
      last_error: null,
      cost: 0,
      dataset_id: null,
      training_data_path: null,
      model_name: spec.outputs?.registerModel?.name ?? null,
      model_version: null,
      cancel_requested: 0,
      created_by: ctx.principal.id,
      updated_at: now.toISOString(),
      finished_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await repo.insertJob(tx, row);
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: 'job.submit',
        resource: `job/${id}`,
        project,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { name: spec.name, queue: queueName, priority: req.priority, resources: req.resources, tier: req.tier, capacity: req.capacity, runId: row.run_id },
      });
    });
    this.options.onChange?.();
    return toJobView(row, []);
  }

  async listJobs(project: string, filter: { status?: JobStatus[] | undefined; queue?: string | undefined; limit?: number | undefined } = {}): Promise<JobView[]> {
    await this.projects.get(project);
    return (await repo.listJobs(this.db, { ...filter, project })).map((r) => toJobView(r));
  }

  async getJob(project: string, id: string): Promise<JobView> {
    const row = await this.jobRow(project, id);
    return toJobView(row, await repo.attemptsOf(this.db, id));
  }

  async jobRow(project: string, id: string): Promise<TrainingJobTable> {
    const row = await repo.findJob(this.db, id);
    if (!row || row.project !== project) throw new NotFoundError('FALAJ_JOB_NOT_FOUND', `project ${project} has no training job ${id}: falaj jobs list shows its jobs`);
    return row;
  }

  /** Marks the job for cancellation; the loop stops a running attempt (SIGTERM, grace, SIGKILL). */
  async cancelJob(ctx: RequestContext, project: string, id: string): Promise<JobView> {
    await this.db.transaction().execute(async (tx) => {
      const row = await repo.findJob(tx, id);
      if (!row || row.project !== project) throw new NotFoundError('FALAJ_JOB_NOT_FOUND', `project ${project} has no training job ${id}`);
      if (FINAL_STATUSES.includes(row.status)) throw new ConflictError('FALAJ_JOB_FINISHED', `job ${id} has already ${row.status === 'cancelled' ? 'been cancelled' : row.status}`);
      await repo.updateJob(tx, id, { cancel_requested: 1, updated_at: this.clock.now().toISOString() });
      await this.audit.append(tx, { actor: ctx.principal.id, action: 'job.cancel', resource: `job/${id}`, project, outcome: 'success', requestId: ctx.requestId, details: { status: row.status } });
    });
    this.options.onChange?.();
    return this.getJob(project, id);
  }

  /** Refuses at submission a job that no pool and quota could ever hold (it would wait forever). */
  private async checkSchedulable(spec: TrainingJobSpec, req: ReturnType<typeof jobRequirements>, queue: QueueSpec): Promise<void> {
    const pools = await this.poolStates();
    const quotas = queueQuotas(queue);
    const reasons: string[] = [];
    for (const quota of quotas) {
      const flavorPools = pools.filter((p) => p.flavor.name === quota.flavor);
      if (flavorPools.length === 0) {
        reasons.push(`no pool has flavor ${quota.flavor}`);
        continue;
      }
      const flavor = flavorPools[0]!.flavor;
      const wantsGpu = flavor.gpuModel !== null;
      if (wantsGpu && req.tier === 'cpu') continue;
      if (!wantsGpu && req.tier === 'gpu') continue;
      if (req.capacity !== 'any' && req.capacity !== flavor.capacity) continue;
      if (wantsGpu && req.resources.gpuModel && req.resources.gpuModel.toLowerCase() !== flavor.gpuModel!.toLowerCase()) continue;
      const gpus = wantsGpu ? req.resources.gpus : 0;
      const need = { cpuMilli: req.resources.cpuMilli, memoryMiB: req.resources.memoryMiB, gpus: (gpus * (req.resources.gpuMilli ?? 1000)) / 1000 };
      const limit = (k: 'cpuMilli' | 'memoryMiB' | 'gpus') => quota.nominal[k] + (queue.cohort ? (quota.borrowingLimit?.[k] ?? Number.MAX_SAFE_INTEGER) : 0);
      const overQuota = (['cpuMilli', 'memoryMiB', 'gpus'] as const).filter((k) => need[k] > limit(k));
      if (overQuota.length > 0) {
        reasons.push(`flavor ${quota.flavor}: asks more ${overQuota.join(', ')} than the queue's quota allows`);
        continue;
      }
      const fits = flavorPools.some((p) => p.nodes.some((n) => n.capacity.cpuMilli >= need.cpuMilli && n.capacity.memoryMiB >= need.memoryMiB && n.capacity.gpus >= gpus));
      if (fits) return;
      reasons.push(`flavor ${quota.flavor}: no node is large enough`);
    }
    throw new InputError('FALAJ_JOB_UNSCHEDULABLE', `TrainingJob/${spec.name} can never be admitted by queue ${queue.name}: ${reasons.length ? reasons.join('; ') : 'none of its flavors matches the job\'s tier and capacity'}`, {
      details: { queue: queue.name, reasons },
    });
  }
}

/** Every pool's flavor, local first, then on-demand, then spot; nominal = the flavor's total capacity. */
export function defaultQueueSpec(pools: readonly PoolState[]): QueueSpec {
  const byFlavor = new Map<string, { cpu: number; memory: number; gpus: number; rank: number }>();
  for (const p of pools) {
    const sum = byFlavor.get(p.flavor.name) ?? { cpu: 0, memory: 0, gpus: 0, rank: p.executor === 'local' ? 0 : p.flavor.capacity === 'on-demand' ? 1 : 2 };
    for (const n of p.nodes) {
      sum.cpu += n.capacity.cpuMilli;
      sum.memory += n.capacity.memoryMiB;
      sum.gpus += n.capacity.gpus;
    }
    byFlavor.set(p.flavor.name, sum);
  }
  const flavors = [...byFlavor.entries()]
    .sort((a, b) => a[1].rank - b[1].rank || a[0].localeCompare(b[0]))
    .map(([flavor, s]) => ({ flavor, nominal: { cpu: `${s.cpu}m`, memory: s.memory, gpus: s.gpus } }));
  return { kind: 'Queue', name: DEFAULT_QUEUE, description: 'every pool, whole capacity (implicit)', flavors: flavors.length ? flavors : [{ flavor: 'none', nominal: {} }] };
}
