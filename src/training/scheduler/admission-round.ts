import type { Admission, PendingWorkload, RunningWorkload, SchedulingDecision, SchedulingState } from '../contracts.js';
import { ClusterCapacity } from './capacity.js';
import { describeNoFlavor, eligibleFlavors, type FlavorCandidate } from './eligibility.js';
import type { JobShapes } from './job-shape.js';
import { describeNeed, quotaOfNeed, type QuotaAmount } from './need.js';
import { bySubmission, inPriorityOrder } from './ordering.js';
import { findPlacement, type PlacementStrategy } from './placement.js';
import { indexVictims, lowestPreemptiblePriority, planPreemption, type VictimIndex } from './preemption.js';
import { QuotaLedger } from './quota.js';
import { Reservations } from './reservation.js';

/** The knobs that tell one admission policy from another; every policy here is one round of these. */
export interface RoundRules {
  order: 'priority' | 'submission';
  placement: PlacementStrategy;
  /** Kueue `StrictFIFO`: a job that cannot start blocks the rest of its queue */
  headOfLineBlocking: boolean;
  preemption: boolean;
  /** a blocked job preempts only once it has waited this long (ms since submission) */
  preemptAfterMs: number;
  /** a pending job waiting at least this long gets a reservation; null: never */
  starvationThresholdMs: number | null;
  maxReservations: number;
}

const MAX_PREEMPTION_SEARCHES = 8;

/** Why jobs of one shape cannot start this round, and where preemption or a reservation might help. */
interface Blocked {
  reason: string;
  /** flavors with a node large enough, in the queue's order */
  candidates: FlavorCandidate[];
}

/**
 * One scheduling round: walks the pending jobs in order and admits each one that fits,
 * all or nothing, on the first flavor (in its queue's order) with quota and a node with
 * room. Capacity taken by an admission is gone for the rest of the round; preemption
 * victims keep theirs until they have stopped, so the job they make room for starts in a
 * later round. Pure: the same state gives the same decision (`shapes` only remembers keys).
 */
export function decideRound(state: SchedulingState, rules: RoundRules, shapes: JobShapes): SchedulingDecision {
  return new Round(state, rules, shapes).run();
}

class Round {
  private readonly capacity: ClusterCapacity;
  private readonly ledger: QuotaLedger;
  private readonly decision: SchedulingDecision = { admissions: [], preemptions: [], waiting: {} };
  private reservations: Reservations | null = null;
  /** head-of-line blocking: queue → the waiting reason of every job behind its blocked head */
  private readonly blockedQueues = new Map<string, string>();
  /**
   * Within a round capacity and quota only shrink and holds only grow, so what could not
   * start stays unable to start: job shape → why it waits; flavor + need → why no node
   * takes it; job shape → the highest priority that found no preemption plan. Jobs with a
   * node held for them see more than others, so they neither read nor write these.
   */
  private readonly blockedShapes = new Map<string, Blocked>();
  private readonly placementMisses = new Map<string, string>();
  private readonly preemptionMisses = new Map<string, number>();
  private readonly victimsChosen = new Set<string>();
  /** per queue: plan searches made this round, and whether one found a plan */
  private readonly preemptionTries = new Map<string, { searches: number; planned: boolean }>();
  private victims: VictimIndex | null = null;
  private lowestVictimPriority: number | null = null;

  constructor(
    private readonly state: SchedulingState,
    private readonly rules: RoundRules,
    private readonly shapes: JobShapes,
  ) {
    this.capacity = new ClusterCapacity(state.pools);
    this.ledger = new QuotaLedger(state.queues, state.running);
  }

  run(): SchedulingDecision {
    const ordered = this.rules.order === 'priority' ? inPriorityOrder(this.state.pending) : [...this.state.pending].sort(bySubmission);
    const { starvationThresholdMs: thresholdMs, maxReservations } = this.rules;
    if (thresholdMs !== null && maxReservations > 0) {
      this.reservations = Reservations.plan(ordered, { now: this.state.now, thresholdMs, maxReservations }, this.capacity, this.ledger);
    }
    for (let position = 0; position < ordered.length; position++) this.consider(ordered[position] as PendingWorkload, position);
    return this.decision;
  }

  private consider(job: PendingWorkload, position: number): void {
    const behind = this.blockedQueues.get(job.queue);
    if (behind !== undefined) {
      this.decision.waiting[job.id] = behind;
      return;
    }
    const privileged = this.reservations?.holdsNode(job.id) ?? false;
    const shape = this.shapes.keyOf(job) + autoSuffix(job, this.state.now);
    let blocked = privileged ? undefined : this.blockedShapes.get(shape);
    if (blocked === undefined) {
      const attempt = this.tryShape(job, position, privileged);
      if ('admission' in attempt) {
        this.decision.admissions.push(attempt.admission);
        this.reservations?.release(job.id);
        return;
      }
      blocked = attempt;
      if (!privileged) this.blockedShapes.set(shape, blocked);
    }
    if (this.rules.headOfLineBlocking) this.blockedQueues.set(job.queue, `behind ${job.id} in queue ${job.queue} (strict FIFO)`);
    let waiting = blocked.reason;
    const preempting = this.mayPreempt(job) ? this.tryPreempt(job, privileged ? null : shape, blocked.candidates, position) : null;
    if (preempting !== null) waiting = `${preempting} (${waiting})`;
    const reserved = this.reservations?.note(job.id);
    if (reserved !== undefined) waiting += `; ${reserved}`;
    this.decision.waiting[job.id] = waiting;
  }

  /** Admits the job, or says why jobs of its shape cannot start this round. */
  private tryShape(job: PendingWorkload, position: number, privileged: boolean): { admission: Admission } | Blocked {
    const queue = this.ledger.queue(job.queue);
    if (!queue) return { reason: `queue ${job.queue} does not exist`, candidates: [] };
    const { candidates, cpuAfter } = eligibleFlavors(job, queue, this.capacity, this.state.now);
    const autoNote = cpuAfter === null ? '' : `; tier auto: waiting for a GPU until ${new Date(cpuAfter).toISOString()}, then CPU flavors too`;
    if (candidates.length === 0) return { reason: describeNoFlavor(job, queue) + autoNote, candidates };
    const large = candidates.filter((c) => c.nodes.couldEverHold(c.need));
    const tooSmall = candidates.filter((c) => !large.includes(c)).map((c) => c.quota.flavor);
    const reasons: string[] = [];
    if (tooSmall.length > 0) {
      const need = describeNeed((candidates.find((c) => !large.includes(c)) as FlavorCandidate).need);
      reasons.push(large.length === 0 ? `no node of any flavor it may use (${tooSmall.join(', ')}) is large enough for ${need}: it cannot start until a larger node is added` : `no ${tooSmall.join('/')} node is large enough for ${need}`);
    }
    for (const candidate of large) {
      const admission = this.tryFlavor(job, candidate, position, privileged, reasons);
      if (admission !== null) return { admission };
    }
    return { reason: reasons.join('; ') + autoNote, candidates: large };
  }

  /** Quota, then a node: the admission, or null with the reason pushed onto `reasons`. */
  private tryFlavor(job: PendingWorkload, candidate: FlavorCandidate, position: number, privileged: boolean, reasons: string[]): Admission | null {
    const { quota: flavorQuota, nodes, need } = candidate;
    const flavor = flavorQuota.flavor;
    const holder = this.reservations?.quotaHolder(job.queue, flavor, position);
    if (holder !== undefined) {
      reasons.push(`quota of queue ${job.queue} on ${flavor} is held for starving job ${holder}`);
      return null;
    }
    const quota = this.ledger.check(job.queue, flavor, quotaOfNeed(need));
    if (!quota.fits) {
      reasons.push(quota.reason);
      return null;
    }
    const shape = `${flavor}\u0000${need.cpuMilli}\u0000${need.memoryMiB}\u0000${need.gpus}\u0000${need.gpuMilli}`;
    const miss = privileged ? undefined : this.placementMisses.get(shape);
    if (miss !== undefined) {
      reasons.push(miss);
      return null;
    }
    const placement = nodes.mightFit(need) ? findPlacement(nodes, need, job.id, this.rules.placement) : null;
    if (placement === null) {
      const why = `no ${flavor} node has room for ${describeNeed(need)}`;
      if (!privileged) this.placementMisses.set(shape, why);
      reasons.push(why);
      return null;
    }
    const { slot, gpuIndices } = placement;
    this.capacity.take(slot, need, gpuIndices);
    this.ledger.add(job.queue, flavor, quotaOfNeed(need));
    return { jobId: job.id, pool: slot.pool.name, flavor, node: slot.node.name, cpuMilli: need.cpuMilli, memoryMiB: need.memoryMiB, gpuIndices, gpuMilli: need.gpuMilli, borrowed: quota.borrowed };
  }

  /**
   * As in Kueue, one job per queue preempts in a round (the first whose search finds a
   * plan): preempting for every blocked job at once evicts more than the next round can
   * use, and the evicted jobs, backfilled again, get evicted again. A queue also gets at
   * most MAX_PREEMPTION_SEARCHES searches a round, so a round's cost stays bounded when
   * no plan exists.
   */
  private mayPreempt(job: PendingWorkload): boolean {
    if (!this.rules.preemption || this.state.now - job.submittedAt < this.rules.preemptAfterMs) return false;
    const tries = this.preemptionTries.get(job.queue);
    return tries === undefined || (!tries.planned && tries.searches < MAX_PREEMPTION_SEARCHES);
  }

  /** Emits the preemptions that make room for `job`, and holds the node for it; returns its waiting note, or null. */
  private tryPreempt(job: PendingWorkload, shape: string | null, candidates: readonly FlavorCandidate[], position: number): string | null {
    this.lowestVictimPriority ??= lowestPreemptiblePriority(this.state.running);
    if (job.priority <= this.lowestVictimPriority) return null;
    // Fewer victims are eligible for a lower priority, and victims only get taken within a
    // round: a shape that found no plan at priority p finds none at p or below.
    if (shape !== null && job.priority <= (this.preemptionMisses.get(shape) ?? -Infinity)) return null;
    this.victims ??= indexVictims(this.state.running, this.capacity);
    const tries = this.preemptionTries.get(job.queue) ?? { searches: 0, planned: false };
    this.preemptionTries.set(job.queue, tries);
    tries.searches++;
    for (const { quota, nodes, need } of candidates) {
      const flavor = quota.flavor;
      if (this.reservations?.quotaHolder(job.queue, flavor, position) !== undefined) continue;
      const amount = quotaOfNeed(need);
      const quotaAllows = (victims: readonly RunningWorkload[]): boolean => this.ledger.check(job.queue, flavor, amount, releasedBy(victims, job.queue, flavor)).fits;
      const plan = planPreemption(nodes, need, job.id, job.priority, this.victims, this.victimsChosen, quotaAllows);
      if (plan === null) continue;
      plan.slot.heldFor = job.id;
      tries.planned = true;
      for (const v of plan.victims) {
        this.victimsChosen.add(v.id);
        this.decision.preemptions.push({ jobId: v.id, forJobId: job.id, reason: `preempted for ${job.id} (priority ${job.priority} over ${v.priority}) on node ${plan.slot.node.name}` });
      }
      const n = plan.victims.length;
      return `preempting ${n} lower-priority job${n === 1 ? '' : 's'} on node ${plan.slot.node.name} of pool ${plan.slot.pool.name}; starts once ${n === 1 ? 'it stops' : 'they stop'}`;
    }
    if (shape !== null) this.preemptionMisses.set(shape, job.priority);
    return null;
  }
}

/** Tier `auto` jobs of one shape differ by whether CPU is acceptable yet, and until when. */
function autoSuffix(job: PendingWorkload, now: number): string {
  if (job.tier !== 'auto') return '';
  return job.autoCpuAfter === undefined || now >= job.autoCpuAfter ? '\u0001cpu' : `\u0001gpu-until-${job.autoCpuAfter}`;
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
