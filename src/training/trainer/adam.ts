/** Adam's optimiser state: first and second moments per parameter, and the step count. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** updates applied so far */
  step: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export function newAdamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), step: 0 };
}

/**
 * One Adam update (Kingma & Ba 2015, with bias correction) of `params` in place. L2 is
 * added to the gradient of weights only (`isWeight`), i.e. the penalty `(l2/2)·‖W‖²`.
 */
export function adamStep(params: Float64Array, grads: Float64Array, state: AdamState, learningRate: number, l2: number, isWeight: Uint8Array): void {
  state.step++;
  const correction1 = 1 - BETA1 ** state.step;
  const correction2 = 1 - BETA2 ** state.step;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    const g = l2 !== 0 && isWeight[i] === 1 ? grads[i]! + l2 * params[i]! : grads[i]!;
    const mi = BETA1 * m[i]! + (1 - BETA1) * g;
    const vi = BETA2 * v[i]! + (1 - BETA2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! - (learningRate * (mi / correction1)) / (Math.sqrt(vi / correction2) + EPSILON);
  }
}
