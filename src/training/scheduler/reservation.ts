import type { RunningWorkload } from '../contracts.js';
import type { FlavorNodes, NodeSlot } from './capacity.js';
import { FULL_GPU_MILLI, type NodeNeed } from './need.js';
import { couldEverFit } from './placement.js';

/** Every running workload by the node it holds (built only when a reservation is needed). */
export type OccupantIndex = Map<NodeSlot, RunningWorkload[]>;

/**
 * The node to hold for a starving job: the one expected to fit it soonest.
 *
 * Without run-time estimates (which users do not give reliably), we estimate how long a
 * node takes to drain from the ages of the workloads that must leave it. GPU job lengths
 * are heavy-tailed (Tiresias, NSDI'19; the Alibaba and Philly traces), so a job that has
 * already run long is likely to run long yet: the youngest occupants are the likeliest to
 * leave first. Per node we let occupants leave youngest first until the job would fit; the
 * age of the last one to leave is the node's expected wait. The node with the smallest wait
 * wins, then the fewest devices short, then node order. Nodes too small ever to hold the
 * job, nodes held for another job, and nodes whose occupants cannot free enough (capacity
 * used outside the scheduler) are out.
 */
export function chooseReservation(
  flavors: readonly { nodes: FlavorNodes; need: NodeNeed }[],
  jobId: string,
  occupants: OccupantIndex,
  now: number,
): NodeSlot | null {
  let best: NodeSlot | null = null;
  let bestWait = Infinity;
  let bestShort = Infinity;
  for (const { nodes, need } of flavors) {
    for (const slot of nodes.slots) {
      if (slot.heldFor !== null && slot.heldFor !== jobId) continue;
      if (!couldEverFit(slot, need)) continue;
      const wait = drainWait(slot, need, occupants.get(slot) ?? [], now, bestWait);
      if (wait === Infinity) continue;
      const short = devicesShort(slot.gpuFree, need);
      if (wait < bestWait || (wait === bestWait && short < bestShort)) {
        best = slot;
        bestWait = wait;
        bestShort = short;
      }
    }
  }
  return best;
}

function devicesShort(free: readonly number[], need: NodeNeed): number {
  let devices = 0;
  for (const f of free) if (f >= need.gpuMilli) devices++;
  return Math.max(0, need.gpus - devices);
}

/** Age of the oldest occupant that must leave, youngest leaving first; Infinity if they cannot free enough or the wait exceeds `giveUp` (it cannot win). */
function drainWait(slot: NodeSlot, need: NodeNeed, onNode: readonly RunningWorkload[], now: number, giveUp: number): number {
  let cpu = slot.freeCpuMilli;
  let memory = slot.freeMemoryMiB;
  const free = slot.gpuFree.slice();
  const fits = (): boolean => cpu >= need.cpuMilli && memory >= need.memoryMiB && devicesShort(free, need) === 0;
  if (fits()) return 0;
  const youngestFirst = [...onNode].sort((a, b) => b.admittedAt - a.admittedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const v of youngestFirst) {
    const age = Math.max(0, now - v.admittedAt);
    if (age > giveUp) return Infinity;
    cpu += v.cpuMilli;
    memory += v.memoryMiB;
    for (const i of v.gpuIndices) if (i < free.length) free[i] = Math.min(FULL_GPU_MILLI, (free[i] ?? 0) + v.gpuMilli);
    if (fits()) return age;
  }
  return Infinity;
}
