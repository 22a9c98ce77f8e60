import { describe, expect, it } from 'vitest';
import { falajPolicy, fifoFirstFitPolicy, greedyFirstFitPolicy } from '../../../src/training/scheduler/index.js';
import { A100, A100_SPOT, CPU, T4, job, node, pool, queue, running, state } from './fixtures.js';

const policy = falajPolicy();

describe('flavors: order, tier and capacity', () => {
  const pools = () => [pool(A100_SPOT, [node('s1', 4)]), pool(A100, [node('d1', 4)])];
  const spotFirst = [queue('q', [[A100_SPOT, 8], [A100, 8]])];

  it('tries flavors in the queue order: spot first, then on-demand', () => {
    const d = policy(state(pools(), spotFirst, [job('a', { gpus: 4 }), job('b', { gpus: 4, submittedAt: 1 })]));
    expect(d.admissions.map((a) => [a.jobId, a.flavor])).toEqual([
      ['a', 'a100-spot'],
      ['b', 'a100'],
    ]);
  });

  it('keeps a job asking for on-demand capacity off spot flavors, and the reverse', () => {
    const d = policy(state(pools(), spotFirst, [job('od', { capacity: 'on-demand' }), job('sp', { capacity: 'spot', submittedAt: 1 })]));
    expect(Object.fromEntries(d.admissions.map((a) => [a.jobId, a.flavor]))).toEqual({ od: 'a100', sp: 'a100-spot' });
  });

  it('puts a GPU job only on flavors of the GPU model it names', () => {
    const ps = [pool(T4, [node('t1', 4)]), pool(A100, [node('a1', 4)])];
    const d = policy(state(ps, [queue('q', [[T4, 8], [A100, 8]])], [job('j', { gpuModel: 'A100' }), job('k', { gpuModel: 'H100|T4', submittedAt: 1 })]));
    expect(Object.fromEntries(d.admissions.map((a) => [a.jobId, a.flavor]))).toEqual({ j: 'a100', k: 't4' });
  });

  it('runs tier cpu on CPU flavors with its CPU fallback resources, and never a GPU job there', () => {
    const ps = [pool(A100, [node('a1', 4)]), pool(CPU, [node('c1', 0)])];
    const qs = [queue('q', [[A100, 8], [CPU, 0]])];
    const d = policy(state(ps, qs, [job('c', { tier: 'cpu', cpuFallback: { cpuMilli: 8000, memoryMiB: 4096 } }), job('g', { submittedAt: 1 })]));
    expect(d.admissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ jobId: 'c', flavor: 'cpu', cpuMilli: 8000, memoryMiB: 4096, gpuIndices: [] }),
        expect.objectContaining({ jobId: 'g', flavor: 'a100' }),
      ]),
    );
  });

  it('holds a tier auto job for a GPU until its wait limit, then lets it run on CPU', () => {
    const ps = () => [pool(A100, [node('a1', 1, { gpu: [1000] })]), pool(CPU, [node('c1', 0)])];
    const qs = [queue('q', [[A100, 8], [CPU, 0]])];
    const auto = job('auto', { tier: 'auto', autoCpuAfter: 600_000, cpuFallback: { cpuMilli: 4000, memoryMiB: 2048 } });
    const early = policy({ ...state(ps(), qs, [auto]), now: 300_000 });
    expect(early.admissions).toEqual([]);
    expect(early.waiting.auto).toContain('waiting for a GPU until 1970-01-01T00:10:00.000Z');
    const late = policy({ ...state(ps(), qs, [auto]), now: 600_000 });
    expect(late.admissions).toEqual([expect.objectContaining({ jobId: 'auto', flavor: 'cpu', cpuMilli: 4000 })]);
  });

  it('explains a job no flavor of its queue can take', () => {
    const d = policy(state([pool(A100, [node('a1', 4)])], [queue('q', [[A100, 8]])], [job('j', { gpuModel: 'H100' })]));
    expect(d.waiting.j).toContain('no flavor of queue q with a pool matches tier gpu, capacity any, GPU model H100');
  });
});

describe('admission', () => {
  const qs = [queue('q', [[A100, 64]])];

  it('is all or nothing on one node: four GPUs free across two nodes do not hold a four-GPU job', () => {
    const ps = [pool(A100, [node('n1', 4, { gpu: [1000, 1000] }), node('n2', 4, { gpu: [1000, 1000] })])];
    const d = policy(state(ps, qs, [job('four', { gpus: 4 })]));
    expect(d.admissions).toEqual([]);
    expect(d.waiting.four).toContain('no a100 node has room for 4 GPUs');
  });

  it('needs the CPU and memory on the same node as the GPUs', () => {
    const ps = [pool(A100, [node('n1', 4, { cpuMilli: 63_000 }), node('n2', 4, { gpu: [1000, 1000, 1000, 1000] })])];
    expect(policy(state(ps, qs, [job('j', { resources: { cpuMilli: 4000, memoryMiB: 1024, gpus: 1 } })])).admissions).toEqual([]);
  });

  it('says when no node could ever hold the job', () => {
    const d = policy(state([pool(A100, [node('n1', 4)])], qs, [job('j', { gpus: 8 })]));
    expect(d.waiting.j).toContain('is large enough for 8 GPUs');
    expect(d.waiting.j).toContain('until a larger node is added');
  });

  it('orders by priority, then submission time, then id', () => {
    const one = () => [pool(A100, [node('n1', 1)])];
    const high = policy(state(one(), qs, [job('low', { priority: 1, submittedAt: 0 }), job('high', { priority: 5, submittedAt: 10 })]));
    expect(high.admissions.map((a) => a.jobId)).toEqual(['high']);
    const early = policy(state(one(), qs, [job('late', { submittedAt: 10 }), job('early', { submittedAt: 5 })]));
    expect(early.admissions.map((a) => a.jobId)).toEqual(['early']);
    const byId = policy(state(one(), qs, [job('b'), job('a')]));
    expect(byId.admissions.map((a) => a.jobId)).toEqual(['a']);
  });

  it('packs: a one-GPU job goes to the node already in use, first-fit takes the first node', () => {
    const ps = () => [pool(A100, [node('empty', 4), node('half', 4, { gpu: [1000, 1000] })])];
    expect(policy(state(ps(), qs, [job('j')])).admissions[0]).toMatchObject({ node: 'half', gpuIndices: [2] });
    expect(greedyFirstFitPolicy()(state(ps(), qs, [job('j')])).admissions[0]).toMatchObject({ node: 'empty', gpuIndices: [0] });
  });

  it('puts a fractional job on the device with the least free share that holds it', () => {
    const ps = [pool(A100, [node('n1', 4, { gpu: [0, 500, 700, 0] })])];
    const d = policy(state(ps, qs, [job('frac', { gpuMilli: 300 }), job('frac2', { gpuMilli: 400, submittedAt: 1 })]));
    expect(d.admissions.map((a) => [a.jobId, a.gpuIndices, a.gpuMilli])).toEqual([
      ['frac', [2], 300],
      ['frac2', [1], 400],
    ]);
  });

  it('keeps admitting after a job that does not fit (no head-of-line blocking), unlike strict FIFO', () => {
    const ps = () => [pool(A100, [node('n1', 4)])];
    const pending = [job('big', { gpus: 8, submittedAt: 0 }), job('small', { submittedAt: 1 })];
    const bigQueue = [queue('q', [[A100, 64]])];
    const ps8 = () => [pool(A100, [node('n1', 4), node('n2', 8, { gpu: [1000] })])];
    expect(policy(state(ps(), bigQueue, pending)).admissions.map((a) => a.jobId)).toEqual(['small']);
    const fifo = fifoFirstFitPolicy()(state(ps8(), bigQueue, pending));
    expect(fifo.admissions).toEqual([]);
    expect(fifo.waiting.small).toBe('behind big in queue q (strict FIFO)');
    expect(greedyFirstFitPolicy()(state(ps8(), bigQueue, pending)).admissions.map((a) => a.jobId)).toEqual(['small']);
  });

  it('books capacity within a round: two jobs never get the same GPU', () => {
    const d = policy(state([pool(A100, [node('n1', 2)])], qs, [job('a'), job('b', { submittedAt: 1 }), job('c', { submittedAt: 2 })]));
    expect(d.admissions.map((a) => [a.jobId, a.gpuIndices])).toEqual([
      ['a', [0]],
      ['b', [1]],
    ]);
    expect(d.waiting.c).toContain('no a100 node has room');
  });

  it('is deterministic: the same state, in any order, gives the same decision', () => {
    const build = (order: number[]) => {
      const ps = [pool(A100, [node('n1', 4, { gpu: [1000, 300] }), node('n2', 8)]), pool(T4, [node('t1', 2)])];
      const pending = [job('a', { gpus: 2 }), job('b', { gpuMilli: 500, submittedAt: 3 }), job('c', { gpus: 8, priority: 2 }), job('d', { gpus: 4, submittedAt: 2 }), job('e', { gpuModel: 'T4', submittedAt: 1 })];
      const r = running('r', { pool: ps[0]!, node: 'n1', gpuIndices: [0] }, { preemptible: true });
      return state(ps, [queue('q', [[A100, 16], [T4, 2]])], order.map((i) => pending[i]!), [r]);
    };
    const first = falajPolicy()(build([0, 1, 2, 3, 4]));
    expect(falajPolicy()(build([4, 2, 0, 3, 1]))).toEqual(first);
    expect(falajPolicy()(build([0, 1, 2, 3, 4]))).toEqual(first);
  });
});
