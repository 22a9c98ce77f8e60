import type { Flavor, PendingWorkload, Resources } from '../contracts.js';

/** What one job needs on one node of a flavor: its GPUs all on that node, with CPU and memory. */
export interface NodeNeed {
  cpuMilli: number;
  memoryMiB: number;
  /** devices; 0 for a CPU-only placement */
  gpus: number;
  /** share of each device, 1..1000 */
  gpuMilli: number;
}

/**
 * An amount of quota. GPUs are counted in thousandths (`gpus × gpuMilli`), so fractional
 * shares add up exactly in integers: two jobs of 0.46 GPU use 920, not 0.9200000000000001.
 */
export interface QuotaAmount {
  cpuMilli: number;
  memoryMiB: number;
  gpuMilli: number;
}

export const FULL_GPU_MILLI = 1000;

export function quotaOfNeed(need: NodeNeed): QuotaAmount {
  return { cpuMilli: need.cpuMilli, memoryMiB: need.memoryMiB, gpuMilli: need.gpus * need.gpuMilli };
}

export function quotaOfResources(r: Resources): QuotaAmount {
  return { cpuMilli: r.cpuMilli, memoryMiB: r.memoryMiB, gpuMilli: Math.round(r.gpus * FULL_GPU_MILLI) };
}

/** What the job needs on a node of this flavor: its GPU request on a GPU flavor, its CPU fallback on a CPU flavor. */
export function needOn(job: PendingWorkload, flavor: Flavor): NodeNeed {
  if (flavor.gpuModel === null) {
    const cpu = job.cpuFallback ?? job.resources;
    return { cpuMilli: cpu.cpuMilli, memoryMiB: cpu.memoryMiB, gpus: 0, gpuMilli: 0 };
  }
  const gpus = job.resources.gpus;
  const share = gpus > 0 ? clampShare(job.resources.gpuMilli ?? FULL_GPU_MILLI) : 0;
  return { cpuMilli: job.resources.cpuMilli, memoryMiB: job.resources.memoryMiB, gpus, gpuMilli: share };
}

function clampShare(milli: number): number {
  return Math.min(FULL_GPU_MILLI, Math.max(1, Math.round(milli)));
}

/** `4 GPUs, 6000m CPU, 12288 MiB` or `1 GPU × 0.46, …` — for waiting reasons. */
export function describeNeed(need: NodeNeed): string {
  const cpu = `${need.cpuMilli}m CPU, ${need.memoryMiB} MiB`;
  if (need.gpus === 0) return cpu;
  const share = need.gpuMilli >= FULL_GPU_MILLI ? '' : ` × ${need.gpuMilli / FULL_GPU_MILLI}`;
  return `${need.gpus} GPU${need.gpus === 1 ? '' : 's'}${share}, ${cpu}`;
}
