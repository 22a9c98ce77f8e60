/**
 * Evaluation metrics on typed arrays. NaN where a metric is undefined (an AUC with only
 * one class, an R² of a constant target), never a made-up number.
 */

/**
 * Area under the ROC curve by ranks (the Mann–Whitney U statistic): tied scores share
 * their average rank, so a tie between a positive and a negative counts one half.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1; // average of the 1-based ranks i+1 … j+1
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Binary cross-entropy from logits, computed stably: mean of `max(z,0) − z·y + log(1 + e^−|z|)`. */
export function logLossFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += logisticLoss(logits[i]!, labels[i]!);
  return sum / logits.length;
}

export function logisticLoss(z: number, y: number): number {
  return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Share of rows where `probability ≥ 0.5` agrees with the label. */
export function accuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let right = 0;
  for (let i = 0; i < probabilities.length; i++) if ((probabilities[i]! >= 0.5 ? 1 : 0) === labels[i]) right++;
  return right / probabilities.length;
}

export interface RegressionMetrics {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
}

export function regressionMetrics(predictions: ArrayLike<number>, targets: ArrayLike<number>): RegressionMetrics {
  const n = targets.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += targets[i]!;
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = predictions[i]! - targets[i]!;
    squared += e * e;
    absolute += Math.abs(e);
    total += (targets[i]! - mean) ** 2;
  }
  return { mse: squared / n, rmse: Math.sqrt(squared / n), mae: absolute / n, r2: total > 0 ? 1 - squared / total : Number.NaN };
}
