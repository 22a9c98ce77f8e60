import { describe, expect, it } from 'vitest';
import { accuracy, logLossFromLogits, regressionMetrics, rocAuc } from '../../../src/training/trainer/index.js';
import { Random } from '../../../src/training/trainer/prng.js';

/** AUC by its definition: P(score of a positive > score of a negative), ties counting one half. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('metrics', () => {
  it('rocAuc equals the pairwise definition, with many ties', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 7;
      // scores on a coarse grid: lots of ties, across classes too
      const labels = Array.from({ length: n }, () => (random.next() < 0.3 ? 1 : 0));
      const scores = labels.map((y) => Math.round((random.next() + 0.3 * y) * 5) / 5);
      expect(rocAuc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
    }
  });

  it('rocAuc: perfect, reversed, all tied, and one class only', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('log loss from logits is stable for large logits', () => {
    expect(logLossFromLogits([0], [1])).toBeCloseTo(Math.log(2), 12);
    expect(logLossFromLogits([800], [1])).toBe(0);
    expect(logLossFromLogits([-800], [1])).toBeCloseTo(800, 9);
    expect(Number.isFinite(logLossFromLogits([1000, -1000], [0, 1]))).toBe(true);
  });

  it('accuracy at 0.5, and regression metrics', () => {
    expect(accuracy([0.5, 0.49, 0.9, 0.1], [1, 0, 0, 0])).toBe(0.75);
    // targets 1, 2, 5: mean 8/3, total sum of squares 26/3; residuals 0, 0, -2
    const m = regressionMetrics([1, 2, 3], [1, 2, 5]);
    expect(m.mse).toBeCloseTo(4 / 3, 12);
    expect(m.rmse).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(m.mae).toBeCloseTo(2 / 3, 12);
    expect(m.r2).toBeCloseTo(7 / 13, 12);
    expect(regressionMetrics([2, 2], [2, 2]).r2).toBeNaN();
  });
});
