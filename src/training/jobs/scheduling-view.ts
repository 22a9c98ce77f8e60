import type { PoolState, RunningWorkload } from '../contracts.js';
import type { TrainingAttemptTable } from './training.table.js';

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
