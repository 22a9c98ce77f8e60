import type { Admission, PendingWorkload, RunningWorkload, SchedulingDecision, SchedulingState } from '../contracts.js';
import { ClusterCapacity, type NodeSlot } from './capacity.js';
import { describeNoFlavor, eligibleFlavors, type FlavorCandidate } from './eligibility.js';
import { describeNeed, quotaOfNeed, type QuotaAmount } from './need.js';
import { byPriorityThenSubmission, bySubmission } from './ordering.js';
import { findPlacement, type PlacementStrategy } from './placement.js';
import { indexVictims, planPreemption, type VictimIndex } from './preemption.js';
import { QuotaLedger } from './quota.js';
import { chooseReservation, type OccupantIndex } from './reservation.js';

/** The knobs that tell one admission policy from another; every policy here is one round of these. */
export interface RoundRules {
  order: 'priority' | 'submission';
  placement: PlacementStrategy;
  /** Kueue `StrictFIFO`: a job that cannot start blocks the rest of its queue */
  headOfLineBlocking: boolean;
  preemption: boolean;
  /** a blocked job waiting at least this long gets a reservation; null: never */
  starvationThresholdMs: number | null;
  maxReservations: number;
}

/** What one job's try came to: admitted, or blocked with the flavors whose quota would take it. */
type Attempt = { admission: Admission } | { reasons: string[]; quotaFits: FlavorCandidate[] };

/**
 * One scheduling round: walks the pending jobs in order and admits each one that fits,
 * all or nothing, on the first flavor (in its queue's order) with quota and a node with
 * room. Capacity taken by an admission is gone for the rest of the round; preemption
 * victims keep theirs until they have stopped, so the job they make room for starts in a
 * later round. Pure: the same state gives the same decision.
 */
export function decideRound(state: SchedulingState, rules: RoundRules): SchedulingDecision {
  return new Round(state, rules).run();
}

class Round {
  private readonly capacity: ClusterCapacity;
  private readonly ledger: QuotaLedger;
  private readonly decision: SchedulingDecision = { admissions: [], preemptions: [], waiting: {} };
  /** head-of-line blocking: queue → the job blocking it */
  private readonly blockedQueues = new Map<string, string>();
  /** queue → flavor → the starving job its quota is held for */
  private readonly quotaHolds = new Map<string, Map<string, string>>();
  /** flavor + need → why no node takes it; capacity only shrinks within a round, so a miss stays a miss */
  private readonly placementMisses = new Map<string, string>();
  private readonly preemptionMisses = new Set<string>();
  private readonly victimsChosen = new Set<string>();
  private victims: VictimIndex | null = null;
  private occupants: OccupantIndex | null = null;
  private reservations = 0;

  constructor(
    private readonly state: SchedulingState,
    private readonly rules: RoundRules,
  ) {
    this.capacity = new ClusterCapacity(state.pools);
    this.ledger = new QuotaLedger(state.queues, state.running);
  }

  run(): SchedulingDecision {
    const pending = [...this.state.pending].sort(this.rules.order === 'priority' ? byPriorityThenSubmission : bySubmission);
    for (const job of pending) this.consider(job);
    return this.decision;
  }

  private consider(job: PendingWorkload): void {
    const blocker = this.blockedQueues.get(job.queue);
    if (blocker !== undefined) {
      this.decision.waiting[job.id] = `behind ${blocker} in queue ${job.queue} (strict FIFO)`;
      return;
    }
    const queue = this.ledger.queue(job.queue);
    if (!queue) {
      this.decision.waiting[job.id] = `queue ${job.queue} does not exist`;
      return;
    }
    const { candidates, cpuAfter } = eligibleFlavors(job, queue, this.capacity, this.state.now);
    const autoNote = cpuAfter === null ? '' : `; tier auto: waiting for a GPU until ${new Date(cpuAfter).toISOString()}, then CPU flavors too`;
    if (candidates.length === 0) {
      this.decision.waiting[job.id] = describeNoFlavor(job, queue) + autoNote;
      return;
    }
    const attempt = this.tryAdmit(job, candidates);
    if ('admission' in attempt) {
      this.decision.admissions.push(attempt.admission);
      return;
    }
    if (this.rules.headOfLineBlocking) this.blockedQueues.set(job.queue, job.id);
    let waiting = attempt.reasons.join('; ') + autoNote;
    const preempting = this.rules.preemption ? this.tryPreempt(job, candidates) : null;
    if (preempting !== null) waiting = `${preempting} (${waiting})`;
    else if (this.rules.starvationThresholdMs !== null && this.state.now - job.submittedAt >= this.rules.starvationThresholdMs && this.reservations < this.rules.maxReservations) {
      const held = this.reserve(job, candidates, attempt.quotaFits);
      if (held !== null) waiting += `; ${held}`;
    }
    this.decision.waiting[job.id] = waiting;
  }

  private tryAdmit(job: PendingWorkload, candidates: readonly FlavorCandidate[]): Attempt {
    const reasons: string[] = [];
    const quotaFits: FlavorCandidate[] = [];
    for (const candidate of candidates) {
      const flavor = candidate.quota.flavor;
      const holder = this.quotaHolds.get(job.queue)?.get(flavor);
      if (holder !== undefined && holder !== job.id) {
        reasons.push(`quota of queue ${job.queue} on ${flavor} is held for starving job ${holder}`);
        continue;
      }
      const quota = this.ledger.check(job.queue, flavor, quotaOfNeed(candidate.need));
      if (!quota.fits) {
        reasons.push(quota.reason);
        continue;
      }
      quotaFits.push(candidate);
      const { need, nodes } = candidate;
      const shape = `${flavor}\u0000${need.cpuMilli}\u0000${need.memoryMiB}\u0000${need.gpus}\u0000${need.gpuMilli}`;
      const miss = this.placementMisses.get(shape);
      if (miss !== undefined) {
        reasons.push(miss);
        continue;
      }
      const placement = nodes.mightFit(need) ? findPlacement(nodes, need, job.id, this.rules.placement) : null;
      if (placement === null) {
        const why = `no ${flavor} node has ${describeNeed(need)} free`;
        this.placementMisses.set(shape, why);
        reasons.push(why);
        continue;
      }
      this.capacity.take(placement.slot, need, placement.gpuIndices);
      this.ledger.add(job.queue, flavor, quotaOfNeed(need));
      const { slot } = placement;
      return {
        admission: {
          jobId: job.id,
          pool: slot.pool.name,
          flavor,
          node: slot.node.name,
          cpuMilli: need.cpuMilli,
          memoryMiB: need.memoryMiB,
          gpuIndices: placement.gpuIndices,
          gpuMilli: need.gpuMilli,
          borrowed: quota.borrowed,
        },
      };
    }
    return { reasons, quotaFits };
  }

  /** Emits the preemptions that make room for `job`, and holds the node for it; returns its waiting note, or null. */
  private tryPreempt(job: PendingWorkload, candidates: readonly FlavorCandidate[]): string | null {
    this.victims ??= indexVictims(this.state.running, this.capacity);
    if (this.victims.size === 0) return null;
    for (const { quota, nodes, need } of candidates) {
      const flavor = quota.flavor;
      const holder = this.quotaHolds.get(job.queue)?.get(flavor);
      if (holder !== undefined && holder !== job.id) continue;
      const key = `${job.queue}\u0000${flavor}\u0000${job.priority}\u0000${need.cpuMilli}\u0000${need.memoryMiB}\u0000${need.gpus}\u0000${need.gpuMilli}`;
      if (this.preemptionMisses.has(key)) continue;
      const amount = quotaOfNeed(need);
      const quotaAllows = (victims: readonly RunningWorkload[]): boolean =>
        this.ledger.check(job.queue, flavor, amount, releasedBy(victims, job.queue, flavor)).fits;
      const plan = planPreemption(nodes, need, job.id, job.priority, this.victims, this.victimsChosen, quotaAllows);
      if (plan === null) {
        this.preemptionMisses.add(key);
        continue;
      }
      plan.slot.heldFor = job.id;
      for (const v of plan.victims) {
        this.victimsChosen.add(v.id);
        this.decision.preemptions.push({ jobId: v.id, forJobId: job.id, reason: `preempted for ${job.id} (priority ${job.priority} over ${v.priority}) on node ${plan.slot.node.name}` });
      }
      const n = plan.victims.length;
      return `preempting ${n} lower-priority job${n === 1 ? '' : 's'} on node ${plan.slot.node.name} of pool ${plan.slot.pool.name}; starts once ${n === 1 ? 'it stops' : 'they stop'}`;
    }
    return null;
  }

  /**
   * Starvation protection for a job that has waited past the threshold. Blocked on quota:
   * later jobs of its queue may not take that quota (Kueue's StrictFIFO, for this job
   * only). Blocked on nodes: the node expected to fit it soonest is held, so later jobs
   * cannot keep filling it; everything else still backfills around it.
   */
  private reserve(job: PendingWorkload, candidates: readonly FlavorCandidate[], quotaFits: readonly FlavorCandidate[]): string | null {
    const waited = formatWait(this.state.now - job.submittedAt);
    if (quotaFits.length === 0) {
      let holds = this.quotaHolds.get(job.queue);
      if (!holds) this.quotaHolds.set(job.queue, (holds = new Map()));
      const held: string[] = [];
      for (const { quota } of candidates) {
        if (holds.has(quota.flavor)) continue;
        holds.set(quota.flavor, job.id);
        held.push(quota.flavor);
      }
      if (held.length === 0) return null;
      this.reservations++;
      return `waited ${waited}: queue ${job.queue}'s quota on ${held.join(', ')} is held for it`;
    }
    this.occupants ??= indexOccupants(this.state.running, this.capacity);
    const slot = chooseReservation(quotaFits, job.id, this.occupants, this.state.now);
    if (slot === null) return null;
    slot.heldFor = job.id;
    this.reservations++;
    return `waited ${waited}: node ${slot.node.name} of pool ${slot.pool.name} is reserved for it`;
  }
}

function releasedBy(victims: readonly RunningWorkload[], queue: string, flavor: string): QuotaAmount {
  const released: QuotaAmount = { cpuMilli: 0, memoryMiB: 0, gpuMilli: 0 };
  for (const v of victims) {
    if (v.queue !== queue || v.flavor !== flavor) continue;
    released.cpuMilli += v.cpuMilli;
    released.memoryMiB += v.memoryMiB;
    released.gpuMilli += v.gpuIndices.length * v.gpuMilli;
  }
  return released;
}

function indexOccupants(running: readonly RunningWorkload[], capacity: ClusterCapacity): OccupantIndex {
  const index = new Map<NodeSlot, RunningWorkload[]>();
  for (const r of running) {
    const slot = capacity.slot(r.pool, r.node);
    if (!slot) continue;
    const list = index.get(slot);
    if (list) list.push(r);
    else index.set(slot, [r]);
  }
  return index;
}

function formatWait(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 120 ? `${Math.floor(minutes / 60)}h` : `${minutes}m`;
}
