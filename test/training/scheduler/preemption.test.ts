import { describe, expect, it } from 'vitest';
import { falajPolicy } from '../../../src/training/scheduler/index.js';
import { A100, A100_SPOT, job, node, pool, queue, running, state } from './fixtures.js';

const policy = falajPolicy();
const qs = [queue('q', [[A100_SPOT, 64], [A100, 64]])];

describe('preemption', () => {
  it('stops a lower-priority spot job for a higher-priority one, and admits it only once the victim is gone', () => {
    const spot = pool(A100_SPOT, [node('s1', 2)]);
    const victims = [running('cheap', { pool: spot, node: 's1', gpuIndices: [0, 1] }, { priority: 0, preemptible: true })];
    const d = policy(state([spot], qs, [job('urgent', { priority: 10, gpus: 2 })], victims));
    expect(d.preemptions).toEqual([expect.objectContaining({ jobId: 'cheap', forJobId: 'urgent' })]);
    expect(d.admissions).toEqual([]);
    expect(d.waiting.urgent).toContain('preempting 1 lower-priority job on node s1');
  });

  it('never preempts a job that is not preemptible', () => {
    const dedicated = pool(A100, [node('d1', 2)]);
    const holders = [running('steady', { pool: dedicated, node: 'd1', gpuIndices: [0, 1] }, { priority: 0, preemptible: false })];
    const d = policy(state([dedicated], qs, [job('urgent', { priority: 10, gpus: 2 })], holders));
    expect(d.preemptions).toEqual([]);
  });

  it('never preempts for a job of equal or lower priority', () => {
    const spot = pool(A100_SPOT, [node('s1', 2)]);
    const victims = [running('peer', { pool: spot, node: 's1', gpuIndices: [0, 1] }, { priority: 5, preemptible: true })];
    expect(policy(state([spot], qs, [job('same', { priority: 5, gpus: 2 })], victims)).preemptions).toEqual([]);
    const spot2 = pool(A100_SPOT, [node('s1', 2)]);
    const victims2 = [running('peer', { pool: spot2, node: 's1', gpuIndices: [0, 1] }, { priority: 5, preemptible: true })];
    expect(policy(state([spot2], qs, [job('lower', { priority: 1, gpus: 2 })], victims2)).preemptions).toEqual([]);
  });

  it('chooses the minimal victim set, lowest priority first', () => {
    const spot = pool(A100_SPOT, [node('s1', 4)]);
    const victims = [
      // tried first (lowest priority), but one GPU is not enough on its own
      running('young', { pool: spot, node: 's1', gpuIndices: [0] }, { priority: 0, admittedAt: 50, preemptible: true }),
      running('pair', { pool: spot, node: 's1', gpuIndices: [1, 2] }, { priority: 1, admittedAt: 10, preemptible: true }),
      running('other', { pool: spot, node: 's1', gpuIndices: [3] }, { priority: 2, admittedAt: 5, preemptible: true }),
    ];
    const d = policy(state([spot], qs, [job('two', { priority: 10, gpus: 2 })], victims));
    // greedy adds young then pair; young turns out unnecessary and is dropped
    expect(d.preemptions.map((p) => p.jobId)).toEqual(['pair']);
  });

  it('prefers the lowest-priority, most recently admitted victim when one is enough', () => {
    const spot = pool(A100_SPOT, [node('s1', 3)]);
    const victims = [
      running('old', { pool: spot, node: 's1', gpuIndices: [0] }, { priority: 0, admittedAt: 10, preemptible: true }),
      running('new', { pool: spot, node: 's1', gpuIndices: [1] }, { priority: 0, admittedAt: 20, preemptible: true }),
      running('mid', { pool: spot, node: 's1', gpuIndices: [2] }, { priority: 3, admittedAt: 30, preemptible: true }),
    ];
    const d = policy(state([spot], qs, [job('one', { priority: 10 })], victims));
    expect(d.preemptions.map((p) => p.jobId)).toEqual(['new']);
  });

  it('does not preempt when the job fits elsewhere', () => {
    const spot = pool(A100_SPOT, [node('s1', 1), node('s2', 1)]);
    const victims = [running('cheap', { pool: spot, node: 's1', gpuIndices: [0] }, { preemptible: true })];
    const d = policy(state([spot], qs, [job('urgent', { priority: 10 })], victims));
    expect(d.preemptions).toEqual([]);
    expect(d.admissions).toEqual([expect.objectContaining({ jobId: 'urgent', node: 's2' })]);
  });

  it('does not let a lower job take the node being freed for a preemptor', () => {
    const spot = pool(A100_SPOT, [node('s1', 2, {}, { cpuMilli: 4000 })]);
    const victims = [running('cheap', { pool: spot, node: 's1', gpuIndices: [0] }, { preemptible: true, cpuMilli: 1000 })];
    const d = policy(state([spot], qs, [job('urgent', { priority: 10, gpus: 2 }), job('filler', { priority: 0, submittedAt: 1 })], victims));
    expect(d.preemptions.map((p) => p.jobId)).toEqual(['cheap']);
    expect(d.admissions).toEqual([]);
  });

  it('can be turned off', () => {
    const spot = pool(A100_SPOT, [node('s1', 1)]);
    const victims = [running('cheap', { pool: spot, node: 's1', gpuIndices: [0] }, { preemptible: true })];
    expect(falajPolicy({ preemption: false })(state([spot], qs, [job('urgent', { priority: 10 })], victims)).preemptions).toEqual([]);
  });
});
