import { Random } from '../../../src/training/trainer/prng.js';
import type { TabularDataset } from '../../../src/training/trainer/index.js';

export type Shape = 'linear' | 'xor' | 'regression';

/**
 * Small synthetic training sets with a known answer:
 * - `linear`: P(y=1) = sigmoid(2·x0 − 1.5·x1 + 0.5·x2), features on different scales, some nulls;
 * - `xor`: y = 1 when x0 and x1 have the same sign (no linear model can do better than chance);
 * - `regression`: y = 3·x0 − 2·x1² + noise, in the hundreds (tests the target scaling).
 * Rows carry increasing timestamps, so the validation split is the latest rows.
 */
export function syntheticData(shape: Shape, rows: number, seed = 7, options: { nullShare?: number; width?: number } = {}): TabularDataset {
  const width = options.width ?? 4;
  const random = new Random(seed);
  const x = new Float64Array(rows * width);
  const y = new Float64Array(rows);
  const timestamps = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const f = Array.from({ length: width }, () => random.gaussian());
    let label: number;
    if (shape === 'linear') {
      const z = 2 * f[0]! - 1.5 * f[1]! + 0.5 * f[2]!;
      label = random.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    } else if (shape === 'xor') {
      label = f[0]! * f[1]! > 0 ? 1 : 0;
    } else {
      label = 300 + 30 * (3 * f[0]! - 2 * f[1]! * f[1]!) + 3 * random.gaussian();
    }
    // different scales and offsets: the standardiser has work to do
    for (let j = 0; j < width; j++) {
      const raw = f[j]! * (j + 1) * 10 + j * 100;
      x[r * width + j] = options.nullShare && j === width - 1 && random.next() < options.nullShare ? Number.NaN : raw;
    }
    y[r] = label;
    timestamps[r] = Date.UTC(2024, 0, 1) + r * 60_000;
  }
  return {
    featureNames: Array.from({ length: width }, (_, j) => `f${j}`),
    rows,
    x,
    y,
    timestamps,
    droppedNullLabels: 0,
    labelledRows: rows,
  };
}

/** The raw feature rows of a dataset, from `from` to the end (row-major). */
export function tailRows(data: TabularDataset, from: number): Float64Array {
  const width = data.featureNames.length;
  return data.x.slice(from * width);
}
