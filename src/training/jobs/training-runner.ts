import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { DatasetService } from '../../features/index.js';
import type { ModelRegistry, ArtifactStore } from '../../registry/index.js';
import { acquireLease, releaseLease, type Db } from '../../storage/metadata/index.js';
import { SYSTEM_PRINCIPAL, type AuditLog, type RequestContext, type TokenService } from '../../security/index.js';
import type { TrackingService } from '../../tracking/index.js';
import type { Admission, AttemptOutcome, Executor, ExecutorKind, PendingWorkload, PoolState, SchedulingPolicy } from '../contracts.js';
import { jobRequirements } from '../definitions/resolve.js';
import type { QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import { attemptDirs, restoreCheckpoint, saveCheckpoint, saveLog } from './attempt-files.js';
import { attemptCost } from './cost.js';
import { jobEnvironment } from './job-env.js';
import { logTail, nextJobState } from './attempt-outcome.js';
import { holdCapacity, pendingWorkload, queueStates } from './scheduling-view.js';
import { buildTrainingData, registerJobModel } from './job-io.js';
import * as repo from './training.repository.js';
import type { TrainingAttemptTable, TrainingJobTable } from './training.table.js';
import type { TrainingService } from './training.service.js';

const LEASE = 'training-scheduler';
const FALAJ_BIN = fileURLToPath(new URL('../../../bin/falaj.js', import.meta.url));

export interface TrainingRunnerOptions {
  db: Kysely<Db>;
  audit: AuditLog;
  service: TrainingService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  models: ModelRegistry;
  tokens: TokenService;
  policy: SchedulingPolicy;
  executors: Partial<Record<ExecutorKind, Executor>>;
  dataDir: string;
  /** where jobs reach the API (set once the server listens) */
  trackingUri: () => string;
  clock?: Clock;
  logger?: Logger;
  /** ms between scheduling passes (default 1 s); a submission or an exit triggers one at once */
  intervalMs?: number;
  leaseTtlMs?: number;
  /** called when a job reaches a final status (lineage) */
  onJobEnd?: (job: { id: string; project: string; name: string; runId: string; datasetId: string | null; status: string; model: { name: string; version: number } | null; error: string | null }) => void;
}

/**
 * The scheduling loop. One replica at a time holds the `training-scheduler` lease and
 * runs it: it stops cancelled and preempted attempts, asks the policy which pending jobs
 * to admit where, prepares each admitted attempt (training data, checkpoint, a
 * short-lived token) and starts it on its pool's executor, and, when an attempt ends,
 * saves its log and checkpoint, prices it and decides: done, retry after a backoff
 * (failure), requeue at once (preempted, lost), or give up. On taking the lease it
 * reconciles: an attempt whose process or pod vanished is marked lost and requeued.
 */
export class TrainingRunner {
  private readonly clock: Clock;
  private readonly holder = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly ctx: RequestContext = { principal: SYSTEM_PRINCIPAL, requestId: 'training-runner' };
  /** attempts this process started and still watches, `job/attempt` */
  private readonly mine = new Set<string>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly launching = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private leader = false;
  private closed = false;

  constructor(private readonly o: TrainingRunnerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.intervalMs ?? 1_000);
    this.timer.unref();
    this.poke();
  }

  /** Asks for a scheduling pass soon (coalesced). */
  poke(): void {
    if (this.closed) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    setImmediate(() => void this.tick());
  }

  /** One pass; exported for tests. Returns false when another replica holds the lease. */
  async tick(): Promise<boolean> {
    if (this.ticking || this.closed) {
      this.again = true;
      return this.leader;
    }
    this.ticking = true;
    try {
      const held = await acquireLease(this.o.db, LEASE, this.holder, this.o.leaseTtlMs ?? 15_000, this.clock.now());
      if (!held) {
        this.leader = false;
        return false;
      }
      if (!this.leader) {
        this.leader = true;
        await this.reconcile();
      }
      await this.processCancellations();
      await this.schedule();
      return true;
    } catch (err) {
      this.o.logger?.error({ err }, 'training scheduler pass failed');
      return this.leader;
    } finally {
      this.ticking = false;
      if (this.again && !this.closed) {
        this.again = false;
        this.poke();
      }
    }
  }

  /** Waits until nothing is being launched or finished (tests). */
  async settle(): Promise<void> {
    while (this.launching.size > 0 || this.finishing.size > 0) {
      await Promise.all([...this.launching, ...this.finishing.values()]);
    }
  }

  /** Stops the loop; local attempts are stopped as preempted (requeued, nothing spent) and saved. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.launching]);
    const local = this.o.executors.local as (Executor & { stopAll?: (r: 'preempted') => Promise<void> }) | undefined;
    await local?.stopAll?.('preempted');
    await this.settle();
    if (this.leader) await releaseLease(this.o.db, LEASE, this.holder).catch(() => undefined);
  }

  // --- reconcile ---------------------------------------------------------------------

  private async reconcile(): Promise<void> {
    for (const a of await repo.activeAttempts(this.o.db)) {
      const key = `${a.job_id}/${a.attempt}`;
      if (this.mine.has(key)) continue;
      const executor = this.o.executors[a.executor as ExecutorKind];
      const alive = executor && a.external_id ? await (executor.isAlive as (id: string, key?: string) => Promise<boolean>).call(executor, a.external_id, key).catch(() => false) : false;
      if (alive && executor && a.external_id) {
        // it outlived the platform: we cannot follow its exit status, so stop it and resume from its checkpoint
        await executor.stop(a.external_id, 'preempted').catch(() => undefined);
        await this.finish(a.job_id, a.attempt, { kind: 'lost', message: 'the platform restarted while it ran: stopped and requeued to resume from its checkpoint' });
      } else {
        await this.finish(a.job_id, a.attempt, { kind: 'lost', message: a.external_id ? 'its process or pod vanished' : 'it never started before the platform stopped' });
      }
    }
  }

  // --- cancellations -----------------------------------------------------------------

  private async processCancellations(): Promise<void> {
    const now = this.clock.now().toISOString();
    for (const job of await repo.cancelRequested(this.o.db)) {
      if (job.status === 'queued') {
        await this.o.db.transaction().execute(async (tx) => {
          await repo.updateJob(tx, job.id, { status: 'cancelled', finished_at: now, updated_at: now, waiting_reason: null });
          await this.o.audit.append(tx, { actor: 'system', action: 'job.cancelled', resource: `job/${job.id}`, project: job.project, outcome: 'success', details: { whileStatus: 'queued' } });
        });
        await this.o.tracking.updateRun(this.ctx, job.project, job.run_id, { status: 'KILLED' }).catch(() => undefined);
        continue;
      }
      const attempt = await repo.findAttempt(this.o.db, job.id, job.attempts);
      if (attempt && attempt.state !== 'ended' && attempt.stop_reason === null) await this.stopAttempt(attempt, 'cancelled');
    }
  }

  private async stopAttempt(a: TrainingAttemptTable, reason: 'cancelled' | 'preempted'): Promise<void> {
    await repo.updateAttempt(this.o.db, a.job_id, a.attempt, { state: 'stopping', stop_reason: reason });
    const executor = this.o.executors[a.executor as ExecutorKind];
    if (executor && a.external_id) await executor.stop(a.external_id, reason);
  }

  // --- scheduling --------------------------------------------------------------------

  private async schedule(): Promise<void> {
    const now = this.clock.now();
    const pools = await this.o.service.poolStates();
    const poolByName = new Map(pools.map((p) => [p.name, p]));
    const active = await repo.activeAttempts(this.o.db);
    const running = holdCapacity(active, poolByName);
    const queued = (await repo.queuedJobs(this.o.db)).filter((j) => j.cancel_requested === 0);
    const eligible = queued.filter((j) => !j.next_attempt_at || Date.parse(j.next_attempt_at) <= now.getTime());
    const queues = queueStates(await repo.listQueues(this.o.db), pools, [...queued.map((j) => j.project), ...active.map((a) => a.project)]);
    const jobsById = new Map<string, { job: TrainingJobTable; spec: TrainingJobSpec; queueSpec: QueueSpec }>();
    const pending: PendingWorkload[] = [];
    for (const job of eligible) {
      const spec = JSON.parse(job.spec) as TrainingJobSpec;
      const queueSpec = queues.specs.get(`${job.project}/${job.queue}`);
      if (!queueSpec) {
        await this.setWaiting(job, `queue ${job.queue} no longer exists`);
        continue;
      }
      jobsById.set(job.id, { job, spec, queueSpec });
      pending.push(pendingWorkload(job, spec, queueSpec));
    }
    for (const job of queued) {
      if (job.next_attempt_at && Date.parse(job.next_attempt_at) > now.getTime()) await this.setWaiting(job, `retrying after a backoff, not before ${job.next_attempt_at}`);
    }
    if (pending.length === 0) return;

    const decision = this.o.policy({ now: now.getTime(), pools, queues: queues.states, running, pending });
    for (const p of decision.preemptions) {
      const victim = active.find((a) => a.job_id === p.jobId && a.state === 'running');
      if (victim) {
        await this.o.audit.append(this.o.db, { actor: 'system', action: 'job.preempt', resource: `job/${victim.job_id}`, project: victim.project, outcome: 'success', details: { attempt: victim.attempt, forJob: p.forJobId, reason: p.reason } });
        await this.stopAttempt(victim, 'preempted');
      }
    }
    for (const admission of decision.admissions) {
      const entry = jobsById.get(admission.jobId);
      const pool = poolByName.get(admission.pool);
      if (entry && pool) await this.admit(entry.job, entry.spec, pool, admission);
    }
    for (const [jobId, reason] of Object.entries(decision.waiting)) {
      const entry = jobsById.get(jobId);
      if (entry) await this.setWaiting(entry.job, reason);
    }
  }

  private async setWaiting(job: TrainingJobTable, reason: string): Promise<void> {
    if (job.waiting_reason === reason) return;
    await repo.updateJob(this.o.db, job.id, { waiting_reason: reason });
  }

  private async admit(job: TrainingJobTable, spec: TrainingJobSpec, pool: PoolState, adm: Admission): Promise<void> {
    const attempt = job.attempts + 1;
    const now = this.clock.now().toISOString();
    const started = await this.o.db.transaction().execute(async (tx) => {
      const fresh = await repo.findJob(tx, job.id);
      if (!fresh || fresh.status !== 'queued' || fresh.cancel_requested === 1) return false;
      await repo.insertAttempt(tx, {
        job_id: job.id,
        attempt,
        project: job.project,
        queue: job.queue,
        pool: adm.pool,
        flavor: adm.flavor,
        node: adm.node,
        executor: pool.executor,
        external_id: null,
        token_id: null,
        cpu_milli: adm.cpuMilli,
        memory_mib: adm.memoryMiB,
        gpu_indices: JSON.stringify(adm.gpuIndices),
        gpu_milli: adm.gpuMilli,
        borrowed: adm.borrowed ? 1 : 0,
        preemptible: pool.flavor.capacity === 'spot' ? 1 : 0,
        priority: job.priority,
        state: 'starting',
        outcome: null,
        exit_code: null,
        message: null,
        stop_reason: null,
        started_at: now,
        ended_at: null,
        cost: 0,
      });
      await repo.updateJob(tx, job.id, { status: 'running', attempts: attempt, waiting_reason: null, next_attempt_at: null, updated_at: now });
      await this.o.audit.append(tx, {
        actor: 'system',
        action: 'job.attempt.start',
        resource: `job/${job.id}`,
        project: job.project,
        outcome: 'success',
        details: { attempt, pool: adm.pool, flavor: adm.flavor, node: adm.node, gpus: adm.gpuIndices, borrowed: adm.borrowed },
      });
      return true;
    });
    if (!started) return;
    const key = `${job.id}/${attempt}`;
    this.mine.add(key);
    const launch = this.launch({ ...job, attempts: attempt }, spec, attempt, pool, adm).catch((err: unknown) =>
      this.finish(job.id, attempt, { kind: 'failed', exitCode: null, signal: null, message: `could not start: ${err instanceof Error ? err.message : String(err)}` }),
    );
    this.launching.add(launch);
    void launch.finally(() => this.launching.delete(launch));
  }

  private async launch(job: TrainingJobTable, spec: TrainingJobSpec, attempt: number, pool: PoolState, adm: Admission): Promise<void> {
    const executor = this.o.executors[pool.executor];
    if (!executor) throw new Error(`pool ${pool.name} needs the ${pool.executor} executor, which is not configured on this server (training.kubeconfig)`);
    const req = jobRequirements(spec, (await this.o.service.queueSpec(job.project, job.queue)).priorityClasses);
    const dirs = attemptDirs(this.o.dataDir, job.id, attempt);
    const trainingData = await buildTrainingData(this.o, job, spec);
    if (req.checkpoint) await restoreCheckpoint(this.o.artifacts, this.ctx, job.project, job.run_id, dirs.checkpointDir);
    const expiresInMs = (req.timeoutMs > 0 ? req.timeoutMs : 7 * 86_400_000) + 3_600_000;
    const { token, info } = await this.o.tokens.create(this.ctx, { project: job.project, role: 'editor', name: `job-${job.id}-attempt-${attempt}`, expiresInMs });
    await repo.updateAttempt(this.o.db, job.id, attempt, { token_id: info.id });
    const fresh = await repo.findJob(this.o.db, job.id);
    const env = jobEnvironment({
      spec, jobId: job.id, project: job.project, attempt, runId: job.run_id, trackingUri: this.o.trackingUri(), token, dirs, admission: adm, executor: pool.executor,
      // a pod cannot read the platform's disk: it downloads the training set by id
      trainingData: pool.executor === 'local' ? trainingData : null,
      datasetId: fresh?.dataset_id ?? null,
    });
    // the built-in trainer: this very CLI locally; the `falaj` of the job's image in a pod
    const command = spec.command ?? (pool.executor === 'local' ? [process.execPath, FALAJ_BIN, 'trainer', 'run'] : ['falaj', 'trainer', 'run']);
    const { externalId } = await executor.start(
      { jobId: job.id, jobName: spec.name, project: job.project, attempt, command, env, image: spec.image, admission: adm, pool, timeoutMs: req.timeoutMs, gracePeriodMs: req.gracePeriodMs, ...dirs },
      (outcome) => void this.finish(job.id, attempt, outcome),
    );
    await this.o.db.updateTable('training_attempts').set({ external_id: externalId, state: 'running' }).where('job_id', '=', job.id).where('attempt', '=', attempt).where('state', '=', 'starting').execute();
    // a cancel or preemption that arrived while it was starting
    const now = await repo.findAttempt(this.o.db, job.id, attempt);
    if (now?.state === 'stopping' && now.stop_reason) await executor.stop(externalId, now.stop_reason as 'cancelled' | 'preempted');
  }

  // --- attempt end -------------------------------------------------------------------

  private finish(jobId: string, attempt: number, outcome: AttemptOutcome): Promise<void> {
    const key = `${jobId}/${attempt}`;
    const existing = this.finishing.get(key);
    if (existing) return existing;
    const done = this.doFinish(jobId, attempt, outcome)
      .catch((err: unknown) => this.o.logger?.error({ err, jobId, attempt }, 'recording the end of a training attempt failed'))
      .finally(() => {
        this.finishing.delete(key);
        this.mine.delete(key);
        this.poke();
      });
    this.finishing.set(key, done);
    return done;
  }

  private async doFinish(jobId: string, attempt: number, reported: AttemptOutcome): Promise<void> {
    const a = await repo.findAttempt(this.o.db, jobId, attempt);
    const job = await repo.findJob(this.o.db, jobId);
    if (!a || !job || a.state === 'ended') return;
    const spec = JSON.parse(job.spec) as TrainingJobSpec;
    const queueSpec = await this.o.service.queueSpec(job.project, job.queue).catch(() => undefined);
    const req = jobRequirements(spec, queueSpec?.priorityClasses);
    const dirs = attemptDirs(this.o.dataDir, jobId, attempt);
    const ctx = this.ctx;
    let outcome = reported;

    const executor = this.o.executors[a.executor as ExecutorKind] as (Executor & { collectLogs?: (id: string, file: string) => Promise<void> }) | undefined;
    if (executor?.collectLogs && a.external_id) await executor.collectLogs(a.external_id, dirs.logFile).catch(() => undefined);
    await saveLog(this.o.artifacts, ctx, job.project, job.run_id, attempt, dirs.logFile).catch((err: unknown) => this.o.logger?.warn({ err, jobId }, 'could not save the attempt log'));
    if (req.checkpoint) await saveCheckpoint(this.o.artifacts, ctx, job.project, job.run_id, attempt, dirs.checkpointDir).catch((err: unknown) => this.o.logger?.warn({ err, jobId }, 'could not save the checkpoint'));
    if (a.token_id) await this.o.tokens.revoke(ctx, a.token_id).catch(() => undefined);

    let modelVersion: number | null = null;
    if (outcome.kind === 'succeeded' && spec.outputs?.registerModel) {
      try {
        modelVersion = await registerJobModel(this.o, this.ctx, job, spec, dirs.outputDir);
      } catch (err) {
        outcome = { kind: 'failed', exitCode: 0, signal: null, message: `registering the model failed: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    if (job.cancel_requested === 1 && outcome.kind !== 'succeeded') outcome = { kind: 'cancelled', message: 'cancelled' };

    const now = this.clock.now();
    const pool = (await this.o.service.poolStates()).find((p) => p.name === a.pool);
    const gpus = (JSON.parse(a.gpu_indices) as number[]).length * (a.gpu_milli / 1000);
    const cost = pool ? attemptCost(pool, { cpuMilli: a.cpu_milli, memoryMiB: a.memory_mib, gpus }, now.getTime() - Date.parse(a.started_at)) : 0;
    const message = outcome.kind === 'succeeded' ? null : outcome.message;
    const { patch, runStatus } = await nextJobState({ job, attempt, outcome, req, now, cost, modelVersion, logTail: () => logTail(dirs.logFile) });
    await this.o.db.transaction().execute(async (tx) => {
      await repo.updateAttempt(tx, jobId, attempt, {
        state: 'ended',
        outcome: outcome.kind,
        exit_code: outcome.kind === 'failed' ? outcome.exitCode : outcome.kind === 'succeeded' ? 0 : null,
        message,
        ended_at: now.toISOString(),
        cost,
      });
      await repo.updateJob(tx, jobId, patch);
      await this.o.audit.append(tx, {
        actor: 'system',
        action: 'job.attempt.end',
        resource: `job/${jobId}`,
        project: job.project,
        outcome: outcome.kind === 'succeeded' ? 'success' : 'failure',
        details: { attempt, outcome: outcome.kind, message, cost, jobStatus: patch.status },
      });
    });
    if (runStatus) await this.o.tracking.updateRun(ctx, job.project, job.run_id, { status: runStatus }).catch(() => undefined);
    if (patch.status && ['succeeded', 'failed', 'cancelled'].includes(patch.status)) {
      this.o.onJobEnd?.({
        id: job.id, project: job.project, name: job.name, runId: job.run_id, datasetId: job.dataset_id, status: patch.status, error: message,
        model: modelVersion !== null && spec.outputs?.registerModel ? { name: spec.outputs.registerModel.name, version: modelVersion } : null,
      });
    }
  }
}
