import type { PendingWorkload } from '../contracts.js';
import type { ClusterCapacity, FlavorNodes, NodeSlot } from './capacity.js';
import { eligibleFlavors } from './eligibility.js';
import { quotaOfNeed, type NodeNeed } from './need.js';
import { couldEverFit, findPlacement } from './placement.js';
import type { QuotaLedger } from './quota.js';

export interface StarvationRules {
  now: number;
  thresholdMs: number;
  maxReservations: number;
}

/**
 * Starvation protection. Greedy backfilling (skip what does not fit) lets a stream of
 * small jobs overtake a large one forever: whenever part of a node frees up, a small job
 * takes it, so no node ever has room for the large job. So before each round, the first
 * `maxReservations` pending jobs (in scheduling order) that have waited `thresholdMs` get a
 * reservation, as in EASY backfilling:
 *
 * - blocked on nodes: the node closest to fitting the job is held for it; no other job
 *   starts there (nor preempts there) until the job does, so the node drains toward it.
 *   A hold binds jobs of higher priority too, or a steady stream of them would starve it
 *   just the same; the cost is bounded by `maxReservations` nodes.
 * - blocked on quota: later jobs of its queue may not take that flavor's quota (Kueue's
 *   StrictFIFO, for this job only). Jobs ahead of it keep theirs: a quota hold covers a
 *   whole queue, too much to take from higher priorities.
 *
 * Everything else backfills around the holds.
 */
export class Reservations {
  private readonly nodeHolds = new Map<string, NodeSlot>();
  private readonly quotaHolds = new Map<string, Map<string, { holder: string; position: number }>>();
  private readonly notes = new Map<string, string>();

  static plan(ordered: readonly PendingWorkload[], rules: StarvationRules, capacity: ClusterCapacity, ledger: QuotaLedger): Reservations {
    const reservations = new Reservations();
    const fitsNow = new Map<string, boolean>();
    let made = 0;
    for (let position = 0; position < ordered.length && made < rules.maxReservations; position++) {
      const job = ordered[position] as PendingWorkload;
      const waited = rules.now - job.submittedAt;
      if (waited < rules.thresholdMs) continue;
      const queue = ledger.queue(job.queue);
      if (!queue) continue;
      const candidates = eligibleFlavors(job, queue, capacity, rules.now).candidates.filter((c) => c.nodes.couldEverHold(c.need));
      if (candidates.length === 0) continue;
      const quotaFits = candidates.filter((c) => ledger.check(job.queue, c.quota.flavor, quotaOfNeed(c.need)).fits);
      // A job that would fit somewhere now waits only for its turn (jobs ahead of it in
      // the order): holding a node for it would just keep that node from the others.
      if (quotaFits.some((c) => fitsSomewhere(c.nodes, c.need, job.id, fitsNow))) continue;
      const note = quotaFits.length === 0 ? reservations.holdQuota(job, position, candidates.map((c) => c.quota.flavor)) : reservations.holdNode(job, quotaFits);
      if (note === null) continue;
      reservations.notes.set(job.id, `waited ${formatWait(waited)}: ${note}`);
      made++;
    }
    return reservations;
  }

  /** true when some node is held for this job: it must not share answers with jobs of its shape */
  holdsNode(jobId: string): boolean {
    return this.nodeHolds.has(jobId);
  }

  /** The starving job whose quota hold keeps the job at `position` off this flavor, if any. */
  quotaHolder(queue: string, flavor: string, position: number): string | undefined {
    const hold = this.quotaHolds.get(queue)?.get(flavor);
    return hold !== undefined && hold.position < position ? hold.holder : undefined;
  }

  note(jobId: string): string | undefined {
    return this.notes.get(jobId);
  }

  /** The job has started: its node is free for the jobs after it in this round. */
  release(jobId: string): void {
    const slot = this.nodeHolds.get(jobId);
    if (slot !== undefined && slot.heldFor === jobId) slot.heldFor = null;
    this.nodeHolds.delete(jobId);
  }

  private holdNode(job: PendingWorkload, candidates: readonly { nodes: FlavorNodes; need: NodeNeed }[]): string | null {
    const slot = chooseReservation(candidates, job.id);
    if (slot === null) return null;
    slot.heldFor = job.id;
    this.nodeHolds.set(job.id, slot);
    return `node ${slot.node.name} of pool ${slot.pool.name} is reserved for it`;
  }

  private holdQuota(job: PendingWorkload, position: number, flavors: readonly string[]): string | null {
    let holds = this.quotaHolds.get(job.queue);
    if (!holds) this.quotaHolds.set(job.queue, (holds = new Map()));
    const held = flavors.filter((f) => !holds.has(f));
    if (held.length === 0) return null;
    for (const f of held) holds.set(f, { holder: job.id, position });
    return `queue ${job.queue}'s quota on ${held.join(', ')} is held for it`;
  }
}

/**
 * The node to hold for a starving job: the one closest to fitting it, i.e. the fewest
 * devices short, then the least CPU and memory short (as shares of the node), then node
 * order. Nodes too small ever to hold the job, and nodes held for another job, are out.
 *
 * The choice has to be sticky, because the policy keeps no state between rounds: a held
 * node gets no new work, so its shortfall only shrinks and it stays the closest, until
 * some other node becomes strictly closer (and then that one is the better bet). A choice
 * by expected drain time (youngest occupants first, which heavy-tailed job lengths would
 * suggest) was tried and dropped: every round it preferred whichever node had just been
 * backfilled, so the hold hopped and no node ever drained.
 */
export function chooseReservation(flavors: readonly { nodes: FlavorNodes; need: NodeNeed }[], jobId: string): NodeSlot | null {
  let best: NodeSlot | null = null;
  let bestDevices = Infinity;
  let bestResources = Infinity;
  for (const { nodes, need } of flavors) {
    for (const slot of nodes.slots) {
      if (slot.heldFor !== null && slot.heldFor !== jobId) continue;
      if (!couldEverFit(slot, need)) continue;
      let fitting = 0;
      for (const f of slot.gpuFree) if (f >= need.gpuMilli) fitting++;
      const devices = Math.max(0, need.gpus - fitting);
      if (devices > bestDevices) continue;
      const cap = slot.node.capacity;
      const resources = Math.max(0, need.cpuMilli - slot.freeCpuMilli) / Math.max(1, cap.cpuMilli) + Math.max(0, need.memoryMiB - slot.freeMemoryMiB) / Math.max(1, cap.memoryMiB);
      if (devices < bestDevices || resources < bestResources) {
        best = slot;
        bestDevices = devices;
        bestResources = resources;
      }
    }
  }
  return best;
}

function fitsSomewhere(nodes: FlavorNodes, need: NodeNeed, jobId: string, memo: Map<string, boolean>): boolean {
  const key = `${nodes.flavor.name}\u0000${need.cpuMilli}\u0000${need.memoryMiB}\u0000${need.gpus}\u0000${need.gpuMilli}`;
  let fits = memo.get(key);
  if (fits === undefined) {
    fits = nodes.mightFit(need) && findPlacement(nodes, need, jobId, 'first-fit') !== null;
    memo.set(key, fits);
  }
  return fits;
}

function formatWait(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 120 ? `${Math.floor(minutes / 60)}h` : `${minutes}m`;
}
