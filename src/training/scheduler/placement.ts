import type { RunningWorkload } from '../contracts.js';
import type { FlavorNodes, NodeSlot } from './capacity.js';
import { FULL_GPU_MILLI, type NodeNeed } from './need.js';

export type PlacementStrategy = 'best-fit' | 'first-fit';

export interface Placement {
  slot: NodeSlot;
  /** ascending */
  gpuIndices: number[];
}

/**
 * Where `need` goes among a flavor's nodes, all of it on one node, or null.
 *
 * `first-fit` takes the first node (pool order, then node order) and its first devices
 * with room. `best-fit` packs, in the manner of Kubernetes' `MostAllocated` scoring: it
 * takes the node left with the least free capacity after the job is placed (free GPU
 * share, CPU and memory, each as a fraction of the node, summed), so partly used nodes
 * fill up first and empty nodes stay empty for large jobs; on that node it takes the
 * devices with the least free share that still hold the job, so fractional jobs share
 * GPUs that are already shared and whole GPUs stay whole. Counting CPU and memory, not
 * only GPUs, matters because a job is admitted all or nothing: a node with eight free
 * GPUs and no free CPU holds nobody. Ties go to the tighter devices, then node order.
 */
export function findPlacement(nodes: FlavorNodes, need: NodeNeed, jobId: string, strategy: PlacementStrategy): Placement | null {
  let best: Placement | null = null;
  let bestFree = Infinity;
  let bestTaken = Infinity;
  for (const slot of need.gpus > 0 ? nodes.slotsWithFreeGpu : nodes.slots) {
    if (slot.heldFor !== null && slot.heldFor !== jobId) continue;
    if (slot.freeCpuMilli < need.cpuMilli || slot.freeMemoryMiB < need.memoryMiB) continue;
    const gpuIndices = strategy === 'first-fit' ? firstDevices(slot, need) : tightestDevices(slot, need);
    if (gpuIndices === null) continue;
    if (strategy === 'first-fit') return { slot, gpuIndices };
    const cap = slot.node.capacity;
    let freeShare = -gpuIndices.length * need.gpuMilli;
    let taken = 0;
    for (const f of slot.gpuFree) freeShare += f;
    for (const i of gpuIndices) taken += slot.gpuFree[i] ?? 0;
    const free = (cap.gpus > 0 ? freeShare / (cap.gpus * FULL_GPU_MILLI) : 0) + (slot.freeCpuMilli - need.cpuMilli) / Math.max(1, cap.cpuMilli) + (slot.freeMemoryMiB - need.memoryMiB) / Math.max(1, cap.memoryMiB);
    if (free < bestFree || (free === bestFree && taken < bestTaken)) {
      best = { slot, gpuIndices };
      bestFree = free;
      bestTaken = taken;
    }
  }
  return best;
}

function firstDevices(slot: NodeSlot, need: NodeNeed): number[] | null {
  if (need.gpus === 0) return [];
  if (need.gpuMilli >= FULL_GPU_MILLI && slot.wholeFree < need.gpus) return null;
  const chosen: number[] = [];
  for (let i = 0; i < slot.gpuFree.length && chosen.length < need.gpus; i++) {
    if ((slot.gpuFree[i] ?? 0) >= need.gpuMilli) chosen.push(i);
  }
  return chosen.length === need.gpus ? chosen : null;
}

/** The `need.gpus` devices with the least free share that still holds `need.gpuMilli`. */
function tightestDevices(slot: NodeSlot, need: NodeNeed): number[] | null {
  if (need.gpus === 0) return [];
  if (need.gpuMilli >= FULL_GPU_MILLI) return firstDevices(slot, need);
  const fitting: number[] = [];
  for (let i = 0; i < slot.gpuFree.length; i++) if ((slot.gpuFree[i] ?? 0) >= need.gpuMilli) fitting.push(i);
  if (fitting.length < need.gpus) return null;
  fitting.sort((a, b) => (slot.gpuFree[a] ?? 0) - (slot.gpuFree[b] ?? 0) || a - b);
  return fitting.slice(0, need.gpus).sort((a, b) => a - b);
}

/** Could `need` fit on this node if it were empty? */
export function couldEverFit(slot: NodeSlot, need: NodeNeed): boolean {
  const cap = slot.node.capacity;
  return cap.cpuMilli >= need.cpuMilli && cap.memoryMiB >= need.memoryMiB && cap.gpus >= need.gpus;
}

/** Would `need` fit on the slot once the `stopped` workloads have given back what they hold? */
export function fitsWithout(slot: NodeSlot, need: NodeNeed, stopped: readonly RunningWorkload[]): boolean {
  let cpu = slot.freeCpuMilli;
  let memory = slot.freeMemoryMiB;
  const free = slot.gpuFree.slice();
  for (const v of stopped) {
    cpu += v.cpuMilli;
    memory += v.memoryMiB;
    for (const i of v.gpuIndices) if (i < free.length) free[i] = Math.min(FULL_GPU_MILLI, (free[i] ?? 0) + v.gpuMilli);
  }
  if (cpu < need.cpuMilli || memory < need.memoryMiB) return false;
  let devices = 0;
  for (const f of free) if (f >= need.gpuMilli) devices++;
  return devices >= need.gpus;
}
