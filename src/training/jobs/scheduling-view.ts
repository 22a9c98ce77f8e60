import type { PendingWorkload, PoolState, QueueState, RunningWorkload } from '../contracts.js';
import { jobRequirements, queueQuotas } from '../definitions/resolve.js';
import type { QueueSpec, TrainingJobSpec } from '../definitions/spec.schema.js';
import type { TrainingAttemptTable, TrainingJobTable, TrainingQueueTable } from './training.table.js';
import { DEFAULT_QUEUE, defaultQueueSpec } from './training.service.js';

/**
 * Marks on each pool's nodes what the active attempts hold (CPU, memory, GPU share per
 * device) and returns them as the scheduler's running workloads. An attempt already
 * being stopped still holds its capacity but is no longer a preemption candidate.
 */
export function holdCapacity(active: readonly TrainingAttemptTable[], poolByName: ReadonlyMap<string, PoolState>): RunningWorkload[] {
  return active.map((a) => {
    const node = poolByName.get(a.pool)?.nodes.find((n) => n.name === a.node);
    const gpuIndices = JSON.parse(a.gpu_indices) as number[];
    if (node) {
      node.usedCpuMilli += a.cpu_milli;
      node.usedMemoryMiB += a.memory_mib;
      for (const i of gpuIndices) if (i < node.gpuUsedMilli.length) node.gpuUsedMilli[i]! += a.gpu_milli;
    }
    return {
      id: a.job_id,
      queue: `${a.project}/${a.queue}`,
      priority: a.priority,
      admittedAt: Date.parse(a.started_at),
      pool: a.pool,
      flavor: a.flavor,
      node: a.node,
      cpuMilli: a.cpu_milli,
      memoryMiB: a.memory_mib,
      gpuIndices,
      gpuMilli: a.gpu_milli,
      preemptible: a.preemptible === 1 && a.state === 'running',
    };
  });
}

/** A queued job as the scheduler sees it; `auto` jobs may take CPU once their GPU wait limit has passed. */
export function pendingWorkload(job: TrainingJobTable, spec: TrainingJobSpec, queueSpec: QueueSpec): PendingWorkload {
  const req = jobRequirements(spec, queueSpec.priorityClasses);
  const submittedAt = Date.parse(job.submitted_at);
  return {
    id: job.id,
    queue: `${job.project}/${job.queue}`,
    priority: job.priority,
    submittedAt,
    resources: req.resources,
    cpuFallback: req.cpuFallback,
    tier: req.tier,
    capacity: req.capacity,
    ...(req.tier === 'auto' ? { autoCpuAfter: submittedAt + req.gpuWaitLimitMs } : {}),
  };
}

/** Every declared queue (cohorts span projects), plus the implicit `default` queue of each project with work; keyed `project/queue`. */
export function queueStates(rows: readonly TrainingQueueTable[], pools: readonly PoolState[], projects: readonly string[]): { states: QueueState[]; specs: Map<string, QueueSpec> } {
  const specs = new Map<string, QueueSpec>();
  for (const row of rows) specs.set(`${row.project}/${row.name}`, JSON.parse(row.spec) as QueueSpec);
  const fallback = defaultQueueSpec(pools);
  for (const p of new Set(projects)) if (!specs.has(`${p}/${DEFAULT_QUEUE}`)) specs.set(`${p}/${DEFAULT_QUEUE}`, fallback);
  const states = [...specs.entries()].map(([key, spec]) => ({ name: key, project: key.slice(0, key.indexOf('/')), cohort: spec.cohort, flavors: queueQuotas(spec) }));
  return { states, specs };
}
