import { describe, expect, it } from 'vitest';
import { DenseNetwork } from '../../../src/training/trainer/network.js';
import { logisticLoss, sigmoid } from '../../../src/training/trainer/metrics.js';
import { epochOrder, Random } from '../../../src/training/trainer/prng.js';

describe('DenseNetwork', () => {
  it('back-propagation matches the numerical gradient of the batch loss', () => {
    const sizes = [3, 5, 4, 1];
    const rows = 6;
    const net = new DenseNetwork(sizes, rows);
    const params = net.initialParameters(9);
    const random = new Random(5);
    const x = Float32Array.from({ length: rows * 3 }, () => random.gaussian());
    const y = Float64Array.from({ length: rows }, () => (random.next() < 0.5 ? 1 : 0));
    const index = Uint32Array.from({ length: rows }, (_, i) => i);
    const loss = (p: Float64Array) => {
      const out = net.forward(p, x, index, 0, rows);
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += logisticLoss(out[r]!, y[r]!);
      return sum / rows;
    };
    const out = net.forward(params, x, index, 0, rows);
    const dOut = Float64Array.from({ length: rows }, (_, r) => (sigmoid(out[r]!) - y[r]!) / rows);
    const grads = new Float64Array(net.parameterCount);
    net.backward(params, dOut, rows, grads);
    expect(net.parameterCount).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 1 + 1);
    let checked = 0;
    for (let i = 0; i < params.length; i++) {
      const h = 1e-6;
      const plus = Float64Array.from(params);
      const minus = Float64Array.from(params);
      plus[i] = plus[i]! + h;
      minus[i] = minus[i]! - h;
      const numeric = (loss(plus) - loss(minus)) / (2 * h);
      expect(grads[i]).toBeCloseTo(numeric, 6);
      if (Math.abs(numeric) > 1e-4) checked++;
    }
    expect(checked).toBeGreaterThan(10); // the check is not vacuous: most gradients are non-zero
  });

  it('a linear model starts at zero; an MLP from a seeded, repeatable draw', () => {
    expect([...new DenseNetwork([4, 1], 1).initialParameters(1)].every((v) => v === 0)).toBe(true);
    const mlp = new DenseNetwork([4, 8, 1], 1);
    expect(mlp.initialParameters(1)).toEqual(mlp.initialParameters(1));
    expect(mlp.initialParameters(1)).not.toEqual(mlp.initialParameters(2));
  });

  it('each epoch has its own shuffle, a permutation that depends only on (seed, epoch)', () => {
    const a = epochOrder(1000, 42, 3);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, 42, 3)).toEqual(a);
    expect(epochOrder(1000, 42, 4)).not.toEqual(a);
    expect(epochOrder(1000, 43, 3)).not.toEqual(a);
  });
});
