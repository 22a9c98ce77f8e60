// Builders for scheduling states, and a tiny simulated cluster to run a policy over time.
import type {
  Flavor,
  NodeState,
  PendingWorkload,
  PoolState,
  QueueState,
  Resources,
  RunningWorkload,
  SchedulingDecision,
  SchedulingPolicy,
  SchedulingState,
} from '../../../src/training/contracts.js';

export const A100_SPOT: Flavor = { name: 'a100-spot', gpuModel: 'A100', capacity: 'spot' };
export const A100: Flavor = { name: 'a100', gpuModel: 'A100', capacity: 'on-demand' };
export const T4: Flavor = { name: 't4', gpuModel: 'T4', capacity: 'on-demand' };
export const CPU: Flavor = { name: 'cpu', gpuModel: null, capacity: 'on-demand' };

export function node(name: string, gpus: number, used: { gpu?: number[]; cpuMilli?: number; memoryMiB?: number } = {}, capacity: Partial<Resources> = {}): NodeState {
  return {
    name,
    capacity: { cpuMilli: capacity.cpuMilli ?? 64_000, memoryMiB: capacity.memoryMiB ?? 262_144, gpus },
    usedCpuMilli: used.cpuMilli ?? 0,
    usedMemoryMiB: used.memoryMiB ?? 0,
    gpuUsedMilli: Array.from({ length: gpus }, (_, i) => used.gpu?.[i] ?? 0),
  };
}

export function pool(flavor: Flavor, nodes: NodeState[], name = `pool-${flavor.name}`): PoolState {
  return { name, executor: 'kubernetes', flavor, costPerHour: 1, nodes };
}

/** A queue with generous CPU and memory quota and the given GPU quota per flavor, in order. */
export function queue(name: string, flavors: Array<[Flavor, number, number?]>, cohort?: string): QueueState {
  return {
    name,
    project: 'p',
    cohort,
    flavors: flavors.map(([f, gpus, borrowGpus]) => ({
      flavor: f.name,
      nominal: { cpuMilli: 1_000_000, memoryMiB: 10_000_000, gpus },
      borrowingLimit: borrowGpus === undefined ? undefined : { cpuMilli: 1_000_000, memoryMiB: 10_000_000, gpus: borrowGpus },
    })),
  };
}

export function job(id: string, over: Partial<PendingWorkload> & { gpus?: number; gpuMilli?: number; gpuModel?: string } = {}): PendingWorkload {
  const { gpus, gpuMilli, gpuModel, ...rest } = over;
  return {
    id,
    queue: 'q',
    priority: 0,
    submittedAt: 0,
    resources: { cpuMilli: 1000, memoryMiB: 1024, gpus: gpus ?? 1, gpuMilli, gpuModel },
    tier: 'gpu',
    capacity: 'any',
    ...rest,
  };
}

export function running(id: string, where: { pool: PoolState; node: string; gpuIndices: number[] }, over: Partial<RunningWorkload> = {}): RunningWorkload {
  return {
    id,
    queue: 'q',
    priority: 0,
    admittedAt: 0,
    pool: where.pool.name,
    flavor: where.pool.flavor.name,
    node: where.node,
    cpuMilli: 1000,
    memoryMiB: 1024,
    gpuIndices: where.gpuIndices,
    gpuMilli: 1000,
    preemptible: false,
    ...over,
  };
}

/** The node usage that `running` implies, written into the pools' node states. */
export function occupy(pools: PoolState[], workloads: RunningWorkload[]): void {
  for (const w of workloads) {
    const n = pools.find((p) => p.name === w.pool)?.nodes.find((x) => x.name === w.node);
    if (!n) throw new Error(`no node ${w.pool}/${w.node}`);
    n.usedCpuMilli += w.cpuMilli;
    n.usedMemoryMiB += w.memoryMiB;
    for (const i of w.gpuIndices) n.gpuUsedMilli[i] = (n.gpuUsedMilli[i] ?? 0) + w.gpuMilli;
  }
}

export function state(pools: PoolState[], queues: QueueState[], pending: PendingWorkload[], runningWorkloads: RunningWorkload[] = [], now = 0): SchedulingState {
  occupy(pools, runningWorkloads);
  return { now, pools, queues, running: runningWorkloads, pending };
}

/**
 * Runs `policy` over a small cluster in simulated time: `arrivals` are submitted at their
 * `submittedAt`, every admitted job runs `durationMs`, and the policy is asked once a
 * minute. Returns when each job was admitted (ms), or undefined if it never was.
 */
export function runCluster(policy: SchedulingPolicy, pools: PoolState[], queues: QueueState[], arrivals: PendingWorkload[], durationMs: number, untilMs: number): Map<string, number> {
  const admittedAt = new Map<string, number>();
  const runningWorkloads: Array<RunningWorkload & { endsAt: number }> = [];
  let pending: PendingWorkload[] = [];
  let next = 0;
  const sorted = [...arrivals].sort((a, b) => a.submittedAt - b.submittedAt);
  for (let now = 0; now <= untilMs; now += 60_000) {
    for (const w of runningWorkloads.filter((r) => r.endsAt <= now)) {
      const n = pools.find((p) => p.name === w.pool)?.nodes.find((x) => x.name === w.node) as NodeState;
      n.usedCpuMilli -= w.cpuMilli;
      n.usedMemoryMiB -= w.memoryMiB;
      for (const i of w.gpuIndices) n.gpuUsedMilli[i] = (n.gpuUsedMilli[i] ?? 0) - w.gpuMilli;
      runningWorkloads.splice(runningWorkloads.indexOf(w), 1);
    }
    while (next < sorted.length && (sorted[next] as PendingWorkload).submittedAt <= now) pending.push(sorted[next++] as PendingWorkload);
    const decision: SchedulingDecision = policy({ now, pools, queues, running: runningWorkloads, pending });
    for (const a of decision.admissions) {
      const j = pending.find((p) => p.id === a.jobId) as PendingWorkload;
      const w = { ...running(a.jobId, { pool: pools.find((p) => p.name === a.pool) as PoolState, node: a.node, gpuIndices: a.gpuIndices }), cpuMilli: a.cpuMilli, memoryMiB: a.memoryMiB, gpuMilli: a.gpuMilli, priority: j.priority, admittedAt: now, endsAt: now + durationMs };
      occupy(pools, [w]);
      runningWorkloads.push(w);
      admittedAt.set(a.jobId, now);
    }
    pending = pending.filter((p) => !admittedAt.has(p.id));
  }
  return admittedAt;
}
