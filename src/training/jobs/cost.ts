import type { PoolState, Resources } from '../contracts.js';

export function poolCapacity(pool: PoolState): Resources {
  return pool.nodes.reduce(
    (s, n) => ({ cpuMilli: s.cpuMilli + n.capacity.cpuMilli, memoryMiB: s.memoryMiB + n.capacity.memoryMiB, gpus: s.gpus + n.capacity.gpus }),
    { cpuMilli: 0, memoryMiB: 0, gpus: 0 },
  );
}

/**
 * The share of a pool an attempt holds: its dominant share (the largest of its CPU,
 * memory and GPU fractions, as in Dominant Resource Fairness), so a job holding every GPU
 * of a GPU pool pays for the pool even if it uses few cores.
 */
export function dominantShare(pool: PoolState, held: { cpuMilli: number; memoryMiB: number; gpus: number }): number {
  const cap = poolCapacity(pool);
  const shares = [cap.cpuMilli > 0 ? held.cpuMilli / cap.cpuMilli : 0, cap.memoryMiB > 0 ? held.memoryMiB / cap.memoryMiB : 0, cap.gpus > 0 ? held.gpus / cap.gpus : 0];
  return Math.min(1, Math.max(...shares));
}

/** pool cost per hour × share × hours held. */
export function attemptCost(pool: PoolState, held: { cpuMilli: number; memoryMiB: number; gpus: number }, heldMs: number): number {
  return pool.costPerHour * dominantShare(pool, held) * (Math.max(0, heldMs) / 3_600_000);
}
