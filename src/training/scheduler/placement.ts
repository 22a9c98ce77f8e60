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
 * with room. `best-fit` packs: it takes the devices with the least free share that still
 * fits, then the node left with the fewest wholly free GPUs, then the least free CPU, so
 * partly used nodes fill up first and whole nodes stay free for large jobs. A CPU-only
 * job on GPU nodes goes where the fewest GPUs are free, so it does not strand them.
 */
export function findPlacement(nodes: FlavorNodes, need: NodeNeed, jobId: string, strategy: PlacementStrategy): Placement | null {
  let best: Placement | null = null;
  let bestScore: Score | null = null;
  for (const slot of nodes.slots) {
    if (slot.heldFor !== null && slot.heldFor !== jobId) continue;
    if (slot.freeCpuMilli < need.cpuMilli || slot.freeMemoryMiB < need.memoryMiB) continue;
    const gpuIndices = strategy === 'first-fit' ? firstDevices(slot, need) : tightestDevices(slot, need);
    if (gpuIndices === null) continue;
    if (strategy === 'first-fit') return { slot, gpuIndices };
    const score = scoreOf(slot, need, gpuIndices);
    if (bestScore === null || less(score, bestScore)) {
      best = { slot, gpuIndices };
      bestScore = score;
    }
  }
  return best;
}

/** Lexicographic, smaller is better: [free share of the devices taken, whole GPUs left free, CPU left free]. */
type Score = [number, number, number];

function scoreOf(slot: NodeSlot, need: NodeNeed, gpuIndices: readonly number[]): Score {
  if (need.gpus === 0) {
    let freeShare = 0;
    for (const f of slot.gpuFree) freeShare += f;
    return [slot.wholeFree, freeShare, slot.freeCpuMilli - need.cpuMilli];
  }
  let taken = 0;
  let wholeTaken = 0;
  for (const i of gpuIndices) {
    const f = slot.gpuFree[i] ?? 0;
    taken += f;
    if (f === FULL_GPU_MILLI) wholeTaken++;
  }
  return [taken, slot.wholeFree - wholeTaken, slot.freeCpuMilli - need.cpuMilli];
}

function less(a: Score, b: Score): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
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
