import type { Flavor, FlavorQuota, PendingWorkload, QueueState } from '../contracts.js';
import type { ClusterCapacity, FlavorNodes } from './capacity.js';
import { needOn, type NodeNeed } from './need.js';

/** A flavor the job may run on, in the queue's order, with what it needs there. */
export interface FlavorCandidate {
  quota: FlavorQuota;
  nodes: FlavorNodes;
  need: NodeNeed;
}

export interface Eligibility {
  candidates: FlavorCandidate[];
  /** tier `auto` before its wait limit: when CPU flavors become acceptable */
  cpuAfter: number | null;
}

/**
 * The queue's flavors this job may use, in the queue's order (so "spot first, then
 * on-demand" is a matter of listing the spot flavor first).
 *
 * - tier `gpu`: flavors with a GPU model, the job's `resources.gpuModel` if it names
 *   one (`A100|H100` lists alternatives);
 * - tier `cpu`: CPU flavors (no GPU model), with the job's `cpuFallback` resources;
 * - tier `auto`: GPU flavors, and CPU flavors too once `now >= autoCpuAfter` (at once
 *   when no `autoCpuAfter` is set);
 * - capacity `on-demand` / `spot` keeps flavors of that capacity; `any` keeps both.
 */
export function eligibleFlavors(job: PendingWorkload, queue: QueueState, capacity: ClusterCapacity, now: number): Eligibility {
  const cpuAllowedNow = job.tier === 'cpu' || (job.tier === 'auto' && (job.autoCpuAfter === undefined || now >= job.autoCpuAfter));
  const gpuAllowed = job.tier !== 'cpu';
  const models = job.resources.gpuModel?.split('|').map((m) => m.trim()).filter((m) => m.length > 0) ?? [];
  const candidates: FlavorCandidate[] = [];
  for (const quota of queue.flavors) {
    const nodes = capacity.flavor(quota.flavor);
    if (!nodes) continue;
    const flavor = nodes.flavor;
    if (!capacityMatches(job, flavor)) continue;
    if (flavor.gpuModel === null ? !cpuAllowedNow : !gpuAllowed || (models.length > 0 && !models.includes(flavor.gpuModel))) continue;
    candidates.push({ quota, nodes, need: needOn(job, flavor) });
  }
  const cpuAfter = job.tier === 'auto' && !cpuAllowedNow ? (job.autoCpuAfter ?? null) : null;
  return { candidates, cpuAfter };
}

function capacityMatches(job: PendingWorkload, flavor: Flavor): boolean {
  return job.capacity === 'any' || job.capacity === flavor.capacity;
}

/** Why a job has no candidate flavor at all, in the user's words. */
export function describeNoFlavor(job: PendingWorkload, queue: QueueState): string {
  const parts = [`tier ${job.tier}`, `capacity ${job.capacity}`];
  if (job.resources.gpuModel) parts.push(`GPU model ${job.resources.gpuModel}`);
  return `no flavor of queue ${queue.name} with a pool matches ${parts.join(', ')}`;
}
