import { describe, expect, it } from 'vitest';
import { falajPolicy, greedyFirstFitPolicy } from '../../../src/training/scheduler/index.js';
import type { PendingWorkload } from '../../../src/training/contracts.js';
import { ConfigError } from '../../../src/core/errors/index.js';
import { A100, job, node, pool, queue, runCluster, state } from './fixtures.js';

const MINUTE = 60_000;

/** Two 4-GPU nodes; one-GPU jobs of 10 minutes arrive every minute (more than 8 GPUs can serve), and one 4-GPU job at minute 5. */
function workload(): PendingWorkload[] {
  const small = Array.from({ length: 180 }, (_, i) => job(`small-${String(i).padStart(3, '0')}`, { submittedAt: i * MINUTE }));
  return [...small, job('big', { gpus: 4, submittedAt: 5 * MINUTE })];
}
const cluster = () => [pool(A100, [node('n1', 4), node('n2', 4)])];
const qs = [queue('q', [[A100, 64]])];

describe('starvation protection', () => {
  it('lets a large job start despite a stream of small ones, by holding a node for it', () => {
    const admitted = runCluster(falajPolicy({ starvationThresholdMs: 10 * MINUTE }), cluster(), qs, workload(), 10 * MINUTE, 180 * MINUTE);
    const started = admitted.get('big');
    expect(started).toBeDefined();
    // waits out the threshold, then at most one job length while the held node drains
    expect((started as number) - 5 * MINUTE).toBeLessThanOrEqual(10 * MINUTE + 10 * MINUTE + MINUTE);
  });

  it('is needed: skipping what does not fit starves the large job', () => {
    const greedy = runCluster(greedyFirstFitPolicy(), cluster(), qs, workload(), 10 * MINUTE, 180 * MINUTE);
    expect(greedy.has('big')).toBe(false);
    const unprotected = runCluster(falajPolicy({ starvationThresholdMs: null }), cluster(), qs, workload(), 10 * MINUTE, 180 * MINUTE);
    expect(unprotected.has('big')).toBe(false);
  });

  it('says which node is held, and keeps other jobs off it', () => {
    // n1 has 3 of 4 GPUs free, n2 2 of 4: n1 is closest to fitting the 4-GPU job
    const ps = [pool(A100, [node('n1', 4, { gpu: [1000] }), node('n2', 4, { gpu: [1000, 1000] })])];
    const now = 30 * MINUTE;
    const d = falajPolicy({ starvationThresholdMs: 10 * MINUTE })({ ...state(ps, qs, [job('big', { gpus: 4, submittedAt: 0 }), job('small', { submittedAt: now })]), now });
    expect(d.waiting.big).toContain('node n1 of pool pool-a100 is reserved for it');
    expect(d.admissions).toEqual([expect.objectContaining({ jobId: 'small', node: 'n2' })]);
  });

  it('holds nothing for a job that waits only for its turn', () => {
    const ps = [pool(A100, [node('n1', 2)])];
    const d = falajPolicy({ starvationThresholdMs: 0 })({ ...state(ps, qs, [job('first'), job('second', { submittedAt: 1 })]), now: MINUTE });
    expect(d.admissions.map((a) => a.jobId)).toEqual(['first', 'second']);
  });

  it('rejects bad options with a message naming them', () => {
    expect(() => falajPolicy({ starvationThresholdMs: -1 })).toThrow(ConfigError);
    expect(() => falajPolicy({ maxReservations: 1.5 })).toThrow(/maxReservations/);
  });
});
