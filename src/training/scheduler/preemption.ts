import type { RunningWorkload } from '../contracts.js';
import type { ClusterCapacity, FlavorNodes, NodeSlot } from './capacity.js';
import type { NodeNeed } from './need.js';
import { fitsWithout } from './placement.js';

/** Running preemptible workloads by flavor and node (in node order), cheapest victim first. */
export interface VictimIndex {
  byFlavor: Map<string, Map<NodeSlot, RunningWorkload[]>>;
}

/** No job of this priority or lower can preempt anything; Infinity when nothing is preemptible. */
export function lowestPreemptiblePriority(running: readonly RunningWorkload[]): number {
  let lowest = Infinity;
  for (const r of running) if (r.preemptible && r.priority < lowest) lowest = r.priority;
  return lowest;
}

/**
 * Victims are tried lowest priority first, then most recently admitted (it has lost the
 * least work), then by id: Kueue's candidate order.
 */
export function indexVictims(running: readonly RunningWorkload[], capacity: ClusterCapacity): VictimIndex {
  const unordered = new Map<string, Map<NodeSlot, RunningWorkload[]>>();
  for (const r of running) {
    if (!r.preemptible) continue;
    const slot = capacity.slot(r.pool, r.node);
    if (!slot) continue;
    let bySlot = unordered.get(slot.pool.flavor.name);
    if (!bySlot) unordered.set(slot.pool.flavor.name, (bySlot = new Map()));
    const list = bySlot.get(slot);
    if (list) list.push(r);
    else bySlot.set(slot, [r]);
  }
  const byFlavor = new Map<string, Map<NodeSlot, RunningWorkload[]>>();
  for (const [flavor, bySlot] of unordered) {
    for (const list of bySlot.values()) {
      list.sort((a, b) => a.priority - b.priority || b.admittedAt - a.admittedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    byFlavor.set(flavor, new Map([...bySlot.entries()].sort(([a], [b]) => a.index - b.index)));
  }
  return { byFlavor };
}

export interface PreemptionPlan {
  slot: NodeSlot;
  victims: RunningWorkload[];
}

/**
 * The smallest set of running workloads on one node of this flavor, all preemptible and of
 * lower priority than `priority`, whose stopping lets `need` fit there. Per node: add
 * candidates in victim order until the job fits, then drop, last added first, any victim
 * the fit does not need (Kueue's minimal preemption). Across nodes: fewest victims, then
 * the lowest highest victim priority, then the least GPU share stopped, then node order.
 * `quotaAllows` vetoes a plan the queue's quota cannot take even with its own victims gone.
 */
export function planPreemption(
  nodes: FlavorNodes,
  need: NodeNeed,
  jobId: string,
  priority: number,
  victims: VictimIndex,
  alreadyChosen: ReadonlySet<string>,
  quotaAllows: (victims: readonly RunningWorkload[]) => boolean,
): PreemptionPlan | null {
  let best: PreemptionPlan | null = null;
  let bestCost: [number, number, number] | null = null;
  for (const [slot, onNode] of victims.byFlavor.get(nodes.flavor.name) ?? []) {
    if (slot.heldFor !== null && slot.heldFor !== jobId) continue;
    const candidates = onNode.filter((v) => v.priority < priority && !alreadyChosen.has(v.id));
    if (candidates.length === 0 || !fitsWithout(slot, need, candidates)) continue;
    const chosen: RunningWorkload[] = [];
    for (const v of candidates) {
      chosen.push(v);
      if (fitsWithout(slot, need, chosen)) break;
    }
    if (!fitsWithout(slot, need, chosen)) continue;
    for (let i = chosen.length - 1; i >= 0 && chosen.length > 1; i--) {
      const without = chosen.filter((_, j) => j !== i);
      if (fitsWithout(slot, need, without)) chosen.splice(i, 1);
    }
    if (!quotaAllows(chosen)) continue;
    const cost: [number, number, number] = [chosen.length, Math.max(...chosen.map((v) => v.priority)), chosen.reduce((s, v) => s + v.gpuIndices.length * v.gpuMilli, 0)];
    if (bestCost === null || cost[0] < bestCost[0] || (cost[0] === bestCost[0] && (cost[1] < bestCost[1] || (cost[1] === bestCost[1] && cost[2] < bestCost[2])))) {
      best = { slot, victims: chosen };
      bestCost = cost;
    }
  }
  return best;
}
