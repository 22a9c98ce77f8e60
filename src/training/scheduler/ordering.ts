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
