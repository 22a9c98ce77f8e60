import { ConfigError } from '../../core/errors/index.js';
import type { SchedulingPolicy } from '../contracts.js';
import { decideRound, type RoundRules } from './admission-round.js';
import { JobShapes } from './job-shape.js';
import type { PlacementStrategy } from './placement.js';

export interface FalajPolicyOptions {
  /**
   * A job that cannot start and has waited this long (ms since submission) gets a
   * reservation: the node closest to fitting it is held for it, or its queue's quota if
   * quota is what blocks it. Default 10 minutes; `null` turns starvation protection off.
   */
  starvationThresholdMs?: number | null;
  /** At most this many reservations at once, first come in scheduling order (EASY backfilling holds one). Default 1. */
  maxReservations?: number;
  /** Preempt lower-priority preemptible (spot) jobs for a higher-priority job that cannot fit. Default true. */
  preemption?: boolean;
  /** A blocked job preempts only after waiting this long (ms since submission). Default 0. */
  preemptAfterMs?: number;
  /** `best-fit` packs (default); `first-fit` takes the first node with room (for comparison). */
  placement?: PlacementStrategy;
}

export const FALAJ_POLICY_DEFAULTS = Object.freeze({ starvationThresholdMs: 10 * 60_000, maxReservations: 1, preemption: true, preemptAfterMs: 0 });

/**
 * Falaj's admission policy: Kueue's BestEffortFIFO (priority, then submission time; a job
 * that does not fit is skipped, not a wall), best-fit bin-packing, preemption of
 * lower-priority preemptible (spot) jobs, and a starvation bound: past
 * `starvationThresholdMs` a job that cannot start holds the node closest to fitting it, so
 * small jobs cannot overtake it forever. Each call is one pure round; see docs/scheduler.md.
 *
 * @example
 * const policy = falajPolicy({ starvationThresholdMs: 10 * 60_000 });
 * const { admissions, preemptions, waiting } = policy(state);
 */
export function falajPolicy(options: FalajPolicyOptions = {}): SchedulingPolicy {
  const threshold = options.starvationThresholdMs === undefined ? FALAJ_POLICY_DEFAULTS.starvationThresholdMs : options.starvationThresholdMs;
  const maxReservations = options.maxReservations ?? FALAJ_POLICY_DEFAULTS.maxReservations;
  if (threshold !== null && !(Number.isFinite(threshold) && threshold >= 0)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `scheduler starvationThresholdMs must be a number of milliseconds ≥ 0 or null, got ${String(threshold)}`);
  }
  const preemptAfterMs = options.preemptAfterMs ?? FALAJ_POLICY_DEFAULTS.preemptAfterMs;
  if (!(Number.isFinite(preemptAfterMs) && preemptAfterMs >= 0)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `scheduler preemptAfterMs must be a number of milliseconds ≥ 0, got ${String(preemptAfterMs)}`);
  }
  if (!(Number.isInteger(maxReservations) && maxReservations >= 0)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `scheduler maxReservations must be a whole number ≥ 0, got ${String(maxReservations)}`);
  }
  const placement = options.placement ?? 'best-fit';
  if (placement !== 'best-fit' && placement !== 'first-fit') {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `scheduler placement must be best-fit or first-fit, got ${String(placement)}`);
  }
  const rules: RoundRules = Object.freeze({
    order: 'priority',
    placement,
    headOfLineBlocking: false,
    preemption: options.preemption ?? FALAJ_POLICY_DEFAULTS.preemption,
    preemptAfterMs,
    starvationThresholdMs: threshold,
    maxReservations,
  });
  const shapes = new JobShapes();
  return (state) => decideRound(state, rules, shapes);
}

/**
 * The baseline a user gets from a plain queue: strict FIFO by submission time (priority
 * ignored), the first node that fits, and head-of-line blocking: a job that cannot start
 * holds back every later job of its queue (Kueue's StrictFIFO with first-fit placement).
 */
export function fifoFirstFitPolicy(): SchedulingPolicy {
  const rules: RoundRules = Object.freeze({ order: 'submission', placement: 'first-fit', headOfLineBlocking: true, preemption: false, preemptAfterMs: 0, starvationThresholdMs: null, maxReservations: 0 });
  const shapes = new JobShapes();
  return (state) => decideRound(state, rules, shapes);
}

/** FIFO by submission with first-fit, skipping jobs that do not fit (no head-of-line blocking, so large jobs can starve). */
export function greedyFirstFitPolicy(): SchedulingPolicy {
  const rules: RoundRules = Object.freeze({ order: 'submission', placement: 'first-fit', headOfLineBlocking: false, preemption: false, preemptAfterMs: 0, starvationThresholdMs: null, maxReservations: 0 });
  const shapes = new JobShapes();
  return (state) => decideRound(state, rules, shapes);
}
