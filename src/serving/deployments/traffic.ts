import type { DeploymentRoute, DeploymentSpec } from './deployment.schema.js';
import type { DeploymentStatus } from './deployment-types.js';

/** A route with the share of traffic it gets now. */
export interface WeightedRoute {
  route: DeploymentRoute;
  /** percent of (non-mirrored) traffic */
  weight: number;
}

/**
 * The traffic split in force: what the spec asks, adjusted by the rollout. Canary first,
 * so the hash range a sticky caller falls in stays in the canary as its share grows
 * (5 % → 25 % keeps the first 5 % where they were).
 */
export function trafficSplit(spec: DeploymentSpec, status: DeploymentStatus): WeightedRoute[] {
  const primary = spec.routes.filter((r) => !r.mirror);
  const mode = spec.mode ?? 'single';
  if (mode === 'canary') {
    const stable = primary.find((r) => r.name === 'stable')!;
    const canary = primary.find((r) => r.name === 'canary')!;
    const weight = status.phase === 'progressing' ? (status.rollout?.weight ?? 0) : 0;
    return [
      { route: canary, weight },
      { route: stable, weight: 100 - weight },
    ];
  }
  if (mode === 'ab') {
    const total = primary.reduce((sum, r) => sum + (r.weight ?? 0), 0);
    return primary.map((route) => ({ route, weight: total > 0 ? ((route.weight ?? 0) * 100) / total : 100 / primary.length }));
  }
  return [{ route: primary[0]!, weight: 100 }];
}

/** The routes that get a copy of every request. */
export function mirrorRoutes(spec: DeploymentSpec): DeploymentRoute[] {
  return spec.routes.filter((r) => r.mirror);
}

/**
 * Picks the route for one request. With a sticky value the choice is a deterministic hash
 * of deployment and value (FNV-1a, 32 bits), so the same user always lands on the same
 * variant while the split is unchanged; without one it is random.
 */
export function pickRoute(split: readonly WeightedRoute[], deployment: string, stickyValue: string | undefined, random: () => number = Math.random): DeploymentRoute {
  const point = (stickyValue === undefined ? random() : hashUnit(`${deployment}\u0000${stickyValue}`)) * 100;
  let edge = 0;
  for (const entry of split) {
    edge += entry.weight;
    if (point < edge) return entry.route;
  }
  // rounding at 100 %: the last route with any weight
  return [...split].reverse().find((e) => e.weight > 0)?.route ?? split[split.length - 1]!.route;
}

/** FNV-1a over UTF-16 code units, mapped to [0, 1). */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3's fmix32): FNV's low bits alone are poorly mixed for short keys
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
