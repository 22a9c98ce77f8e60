import type { PendingWorkload } from '../contracts.js';

function byId(a: PendingWorkload, b: PendingWorkload): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Kueue's order: higher priority first, then earlier submission, then id (so ties are deterministic). */
export function byPriorityThenSubmission(a: PendingWorkload, b: PendingWorkload): number {
  return b.priority - a.priority || a.submittedAt - b.submittedAt || byId(a, b);
}

/** Plain FIFO: earlier submission first, priority ignored. */
export function bySubmission(a: PendingWorkload, b: PendingWorkload): number {
  return a.submittedAt - b.submittedAt || byId(a, b);
}

/**
 * `pending` in Kueue's order. Jobs usually arrive (and are stored) in submission order,
 * and priorities are few, so this buckets by priority and sorts each bucket by submission:
 * nearly sorted input, which the engine's merge sort takes in linear time.
 */
export function inPriorityOrder(pending: readonly PendingWorkload[]): PendingWorkload[] {
  const buckets = new Map<number, PendingWorkload[]>();
  for (const job of pending) {
    const bucket = buckets.get(job.priority);
    if (bucket) bucket.push(job);
    else buckets.set(job.priority, [job]);
  }
  const ordered: PendingWorkload[] = [];
  for (const priority of [...buckets.keys()].sort((a, b) => b - a)) {
    for (const job of (buckets.get(priority) as PendingWorkload[]).sort(bySubmission)) ordered.push(job);
  }
  return ordered;
}
