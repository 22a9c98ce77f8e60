import type { FlavorQuota, QueueState, RunningWorkload } from '../contracts.js';
import { FULL_GPU_MILLI, quotaOfResources, type QuotaAmount } from './need.js';

export type QuotaCheck = { fits: true; borrowed: boolean } | { fits: false; reason: string };

const DIMENSIONS = ['cpuMilli', 'memoryMiB', 'gpuMilli'] as const;
type Dimension = (typeof DIMENSIONS)[number];

/** A flavor quota in quota units, computed once per round. */
interface PreparedQuota {
  flavor: string;
  nominal: QuotaAmount;
  /** Infinity where the queue may borrow without limit */
  borrowingLimit: QuotaAmount;
}

function prepare(q: FlavorQuota): PreparedQuota {
  const unlimited = { cpuMilli: Infinity, memoryMiB: Infinity, gpuMilli: Infinity };
  return { flavor: q.flavor, nominal: quotaOfResources(q.nominal), borrowingLimit: q.borrowingLimit === undefined ? unlimited : quotaOfResources(q.borrowingLimit) };
}

const zero = (): QuotaAmount => ({ cpuMilli: 0, memoryMiB: 0, gpuMilli: 0 });

/**
 * Quota accounting in the Kueue manner: per queue, per flavor, what its running workloads
 * hold, against the queue's nominal quota and what it may borrow from its cohort.
 *
 * A queue may use up to its nominal quota; in a cohort it may go further, by at most its
 * `borrowingLimit`, and only into the cohort's unused nominal quota: the sum over the other
 * members of (nominal − usage) for that flavor. A member that is itself borrowing counts
 * negatively there, so two queues cannot both borrow the same unused quota.
 */
export class QuotaLedger {
  private readonly queues = new Map<string, QueueState>();
  private readonly quotas = new Map<string, Map<string, PreparedQuota>>();
  private readonly usage = new Map<string, Map<string, QuotaAmount>>();
  private readonly cohorts = new Map<string, QueueState[]>();

  constructor(queues: readonly QueueState[], running: readonly RunningWorkload[]) {
    for (const queue of queues) {
      this.queues.set(queue.name, queue);
      this.quotas.set(queue.name, new Map(queue.flavors.map((f) => [f.flavor, prepare(f)])));
      if (queue.cohort !== undefined) {
        const members = this.cohorts.get(queue.cohort) ?? [];
        members.push(queue);
        this.cohorts.set(queue.cohort, members);
      }
    }
    // Running workloads come in runs of one queue and flavor: reuse the cell while they do.
    let cell: QuotaAmount | null = null;
    let cellQueue = '';
    let cellFlavor = '';
    for (const r of running) {
      if (cell === null || r.queue !== cellQueue || r.flavor !== cellFlavor) {
        cell = this.usageCell(r.queue, r.flavor);
        cellQueue = r.queue;
        cellFlavor = r.flavor;
      }
      this.addTo(cell, r.cpuMilli, r.memoryMiB, r.gpuIndices.length * r.gpuMilli);
    }
  }

  queue(name: string): QueueState | undefined {
    return this.queues.get(name);
  }

  usageOf(queue: string, flavor: string): Readonly<QuotaAmount> {
    return this.usage.get(queue)?.get(flavor) ?? zero();
  }

  add(queue: string, flavor: string, amount: QuotaAmount): void {
    this.addTo(this.usageCell(queue, flavor), amount.cpuMilli, amount.memoryMiB, amount.gpuMilli);
  }

  private usageCell(queue: string, flavor: string): QuotaAmount {
    let perFlavor = this.usage.get(queue);
    if (!perFlavor) this.usage.set(queue, (perFlavor = new Map()));
    let used = perFlavor.get(flavor);
    if (!used) perFlavor.set(flavor, (used = zero()));
    return used;
  }

  private addTo(used: QuotaAmount, cpuMilli: number, memoryMiB: number, gpuMilli: number): void {
    used.cpuMilli += cpuMilli;
    used.memoryMiB += memoryMiB;
    used.gpuMilli += gpuMilli;
  }

  /**
   * Does `amount` fit the queue's quota on this flavor? `released` is usage about to be
   * given back (the queue's own preemption victims), counted as already free.
   */
  check(queueName: string, flavor: string, amount: QuotaAmount, released?: QuotaAmount): QuotaCheck {
    const quota = this.quotas.get(queueName)?.get(flavor);
    if (!quota) return { fits: false, reason: `queue ${queueName} has no quota for flavor ${flavor}` };
    const queue = this.queues.get(queueName) as QueueState;
    const nominal = quota.nominal;
    const used = this.usageOf(queueName, flavor);
    let borrowed = false;
    const short: string[] = [];
    for (const d of DIMENSIONS) {
      const after = used[d] - (released?.[d] ?? 0) + amount[d];
      if (after <= nominal[d]) continue;
      const borrowable = this.borrowable(queue, quota, d);
      if (after <= nominal[d] + borrowable) {
        borrowed = true;
        continue;
      }
      short.push(`${label(d)}: needs ${show(d, amount[d])}, ${show(d, used[d])} of ${show(d, nominal[d])} in use` + (queue.cohort === undefined ? '' : `, ${show(d, borrowable)} borrowable from cohort ${queue.cohort}`));
    }
    if (short.length > 0) return { fits: false, reason: `quota of queue ${queueName} on ${flavor} exhausted (${short.join('; ')})` };
    return { fits: true, borrowed };
  }

  private borrowable(queue: QueueState, quota: PreparedQuota, d: Dimension): number {
    if (queue.cohort === undefined) return 0;
    let unused = 0;
    for (const member of this.cohorts.get(queue.cohort) ?? []) {
      if (member.name === queue.name) continue;
      const nominal = this.quotas.get(member.name)?.get(quota.flavor)?.nominal[d] ?? 0;
      unused += nominal - this.usageOf(member.name, quota.flavor)[d];
    }
    return Math.max(0, Math.min(quota.borrowingLimit[d], unused));
  }
}

function label(d: Dimension): string {
  return d === 'gpuMilli' ? 'GPUs' : d === 'cpuMilli' ? 'CPU' : 'memory';
}

function show(d: Dimension, value: number): string {
  if (!Number.isFinite(value)) return 'unlimited';
  if (d === 'gpuMilli') return String(value / FULL_GPU_MILLI);
  return d === 'cpuMilli' ? `${value}m` : `${value} MiB`;
}
