import { describe, expect, it } from 'vitest';
import { QuotaLedger } from '../../../src/training/scheduler/index.js';
import { falajPolicy } from '../../../src/training/scheduler/index.js';
import { A100, job, node, pool, queue, running, state } from './fixtures.js';

const gpus = (n: number) => ({ cpuMilli: 0, memoryMiB: 0, gpuMilli: n * 1000 });
const a100 = pool(A100, [node('n1', 8), node('n2', 8)]);
const use = (id: string, q: string, n: number) => running(id, { pool: a100, node: 'n1', gpuIndices: Array.from({ length: n }, (_, i) => i) }, { queue: q });

describe('quota accounting', () => {
  it('admits up to the nominal quota and no further without a cohort', () => {
    const ledger = new QuotaLedger([queue('q', [[A100, 4]])], [use('r1', 'q', 3)]);
    expect(ledger.check('q', 'a100', gpus(1))).toEqual({ fits: true, borrowed: false });
    const over = ledger.check('q', 'a100', gpus(2));
    expect(over.fits).toBe(false);
    expect(over.fits === false && over.reason).toContain('GPUs: needs 2, 3 of 4 in use');
  });

  it('borrows only the unused nominal quota of the other cohort members', () => {
    const queues = [queue('q1', [[A100, 4]], 'team'), queue('q2', [[A100, 4]], 'team')];
    const ledger = new QuotaLedger(queues, [use('a', 'q1', 4), use('b', 'q2', 1)]);
    expect(ledger.check('q1', 'a100', gpus(3))).toEqual({ fits: true, borrowed: true });
    expect(ledger.check('q1', 'a100', gpus(4)).fits).toBe(false);
  });

  it('respects the borrowing limit', () => {
    const queues = [queue('q1', [[A100, 4, 2]], 'team'), queue('q2', [[A100, 8]], 'team')];
    const ledger = new QuotaLedger(queues, [use('a', 'q1', 4)]);
    expect(ledger.check('q1', 'a100', gpus(2))).toEqual({ fits: true, borrowed: true });
    expect(ledger.check('q1', 'a100', gpus(3)).fits).toBe(false);
  });

  it('counts what another member already borrowed against what is left to borrow', () => {
    const queues = [queue('q1', [[A100, 4]], 'team'), queue('q2', [[A100, 4]], 'team'), queue('q3', [[A100, 4]], 'team')];
    // q2 runs 6 on a nominal 4: it has borrowed 2 of q3's unused 4, leaving 2 for q1
    const ledger = new QuotaLedger(queues, [use('a', 'q1', 4), use('b', 'q2', 6)]);
    expect(ledger.check('q1', 'a100', gpus(2)).fits).toBe(true);
    expect(ledger.check('q1', 'a100', gpus(3)).fits).toBe(false);
  });

  it('does not borrow across cohorts or without one', () => {
    const queues = [queue('q1', [[A100, 4]], 'team'), queue('q2', [[A100, 4]], 'other'), queue('q3', [[A100, 4]])];
    const ledger = new QuotaLedger(queues, [use('a', 'q1', 4)]);
    expect(ledger.check('q1', 'a100', gpus(1)).fits).toBe(false);
  });

  it('counts fractional GPUs as gpus × share, exactly', () => {
    const shared = (id: string) => running(id, { pool: a100, node: 'n1', gpuIndices: [0] }, { gpuMilli: 460 });
    const ledger = new QuotaLedger([queue('q', [[A100, 1.5]])], [shared('a'), shared('b'), shared('c')]);
    expect(ledger.usageOf('q', 'a100').gpuMilli).toBe(1380);
    expect(ledger.check('q', 'a100', { cpuMilli: 0, memoryMiB: 0, gpuMilli: 120 }).fits).toBe(true);
    expect(ledger.check('q', 'a100', { cpuMilli: 0, memoryMiB: 0, gpuMilli: 460 }).fits).toBe(false);
  });

  it('refuses a flavor the queue has no quota for', () => {
    const ledger = new QuotaLedger([queue('q', [[A100, 4]])], []);
    const check = ledger.check('q', 't4', gpus(1));
    expect(check.fits === false && check.reason).toContain('no quota for flavor t4');
  });

  it('marks an admission that goes over nominal as borrowed, and explains a quota wait', () => {
    const queues = [queue('q1', [[A100, 2]], 'team'), queue('q2', [[A100, 4]], 'team')];
    const decision = falajPolicy()(state([pool(A100, [node('n1', 8)])], queues, [job('big', { queue: 'q1', gpus: 4 }), job('huge', { queue: 'q1', gpus: 8, submittedAt: 1 })]));
    expect(decision.admissions).toEqual([expect.objectContaining({ jobId: 'big', borrowed: true })]);
    expect(decision.waiting.huge).toContain('quota of queue q1 on a100 exhausted');
  });
});
