import { hash32, Random, STREAM } from './prng.js';

/** Where one dense layer's weights (`in × out`, row-major) and biases sit in the flat parameter vector. */
export interface LayerLayout {
  inDim: number;
  outDim: number;
  /** offset of W[0][0] */
  w: number;
  /** offset of b[0] */
  b: number;
}

/**
 * A feed-forward network on one flat Float64Array of parameters: dense layers of sizes
 * `sizes[0] → sizes[1] → … → 1`, ReLU between them, a linear last layer (its output is a
 * logit for binary tasks, a standardised prediction for regression). `sizes = [F, 1]` is
 * logistic / linear regression. Keeping every parameter in one vector makes Adam and
 * checkpoints a loop over one array.
 */
export class DenseNetwork {
  readonly layers: LayerLayout[];
  readonly parameterCount: number;
  /** 1 where a parameter is a weight (L2 applies), 0 for a bias */
  readonly isWeight: Uint8Array;
  /** acts[0]: the batch's input rows; acts[l]: output of layer l-1 for the current batch */
  private readonly acts: Float64Array[];
  private readonly deltas: Float64Array[];

  constructor(
    readonly sizes: readonly number[],
    readonly maxBatch: number,
  ) {
    const layers: LayerLayout[] = [];
    let offset = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inDim = sizes[l]!;
      const outDim = sizes[l + 1]!;
      layers.push({ inDim, outDim, w: offset, b: offset + inDim * outDim });
      offset += inDim * outDim + outDim;
    }
    this.layers = layers;
    this.parameterCount = offset;
    this.isWeight = new Uint8Array(offset);
    for (const layer of layers) this.isWeight.fill(1, layer.w, layer.b);
    this.acts = sizes.map((size) => new Float64Array(size * maxBatch));
    this.deltas = sizes.map((size, l) => new Float64Array(l === 0 ? 0 : size * maxBatch));
  }

  /**
   * Initial parameters from `seed`: zeros for a linear model (its loss is convex), He
   * normal for layers followed by ReLU and Glorot-style `1/√fan_in` for the last; biases 0.
   */
  initialParameters(seed: number): Float64Array {
    const params = new Float64Array(this.parameterCount);
    if (this.layers.length === 1) return params;
    const random = new Random(hash32(seed, STREAM.init));
    this.layers.forEach((layer, l) => {
      const scale = Math.sqrt((l + 1 < this.layers.length ? 2 : 1) / layer.inDim);
      for (let i = layer.w; i < layer.b; i++) params[i] = random.gaussian() * scale;
    });
    return params;
  }

  /**
   * The network's outputs for `count` rows of `x` (row-major, `sizes[0]` wide), the rows
   * being `rows[start..start+count)`. Returns a view that the next call overwrites.
   */
  forward(params: Float64Array, x: Float32Array, rows: Uint32Array, start: number, count: number): Float64Array {
    // the batch is copied into a float64 buffer first, so every layer reads one array type
    // (a loop that sees both Float32Array and Float64Array is several times slower in V8)
    const width = this.sizes[0]!;
    const input = this.acts[0]!;
    for (let r = 0; r < count; r++) {
      const from = rows[start + r]! * width;
      for (let i = 0; i < width; i++) input[r * width + i] = x[from + i]!;
    }
    for (let l = 0; l < this.layers.length; l++) {
      denseForward(params, this.layers[l]!, this.acts[l]!, this.acts[l + 1]!, count, l + 1 < this.layers.length);
    }
    return this.acts[this.layers.length]!.subarray(0, count);
  }

  /**
   * Back-propagates `dOutput` (∂loss/∂output per row, already divided by the batch size)
   * through the batch of the last `forward` call, writing the gradient into `grads`
   * (overwritten, not accumulated).
   */
  backward(params: Float64Array, dOutput: Float64Array, count: number, grads: Float64Array): void {
    grads.fill(0);
    const last = this.layers.length - 1;
    this.deltas[last + 1]!.set(dOutput.subarray(0, count));
    for (let l = last; l >= 0; l--) {
      denseBackward(params, this.layers[l]!, this.acts[l]!, this.deltas[l + 1]!, l > 0 ? this.deltas[l]! : undefined, count, grads);
    }
  }
}

/** `out = input · W + b`, then ReLU when `relu`. */
function denseForward(params: Float64Array, layer: LayerLayout, input: Float64Array, out: Float64Array, count: number, relu: boolean): void {
  const { inDim, outDim, w, b } = layer;
  for (let r = 0; r < count; r++) {
    const inBase = r * inDim;
    const outBase = r * outDim;
    for (let j = 0; j < outDim; j++) out[outBase + j] = params[b + j]!;
    for (let i = 0; i < inDim; i++) {
      const a = input[inBase + i]!;
      if (a === 0) continue; // ReLU zeros and standardised means: nothing to add
      const wRow = w + i * outDim;
      for (let j = 0; j < outDim; j++) out[outBase + j] = out[outBase + j]! + a * params[wRow + j]!;
    }
    if (relu) for (let j = 0; j < outDim; j++) if (out[outBase + j]! < 0) out[outBase + j] = 0;
  }
}

/** Adds this layer's weight and bias gradients; writes the previous layer's delta (through its ReLU) when asked. */
function denseBackward(params: Float64Array, layer: LayerLayout, input: Float64Array, delta: Float64Array, prevDelta: Float64Array | undefined, count: number, grads: Float64Array): void {
  const { inDim, outDim, w, b } = layer;
  for (let r = 0; r < count; r++) {
    const inBase = r * inDim;
    const dBase = r * outDim;
    for (let j = 0; j < outDim; j++) grads[b + j] = grads[b + j]! + delta[dBase + j]!;
    for (let i = 0; i < inDim; i++) {
      const a = input[inBase + i]!;
      const wRow = w + i * outDim;
      if (a !== 0) for (let j = 0; j < outDim; j++) grads[wRow + j] = grads[wRow + j]! + a * delta[dBase + j]!;
      if (prevDelta) {
        // ReLU: the gradient passes where the activation was positive
        let sum = 0;
        if (a > 0) for (let j = 0; j < outDim; j++) sum += params[wRow + j]! * delta[dBase + j]!;
        prevDelta[inBase + i] = sum;
      }
    }
  }
}
