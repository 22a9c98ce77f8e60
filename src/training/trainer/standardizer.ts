/**
 * Per-feature standardisation `(x - mean) / std`, fitted on the training rows only, with
 * nulls imputed by the training mean. Mean and std are kept as float32 and applied with
 * float32 rounding at each step, exactly as the ONNX graph's `Where`, `Sub` and `Div` do,
 * so the network sees the same inputs in training and in ONNX Runtime.
 */
export interface Standardizer {
  /** training mean per feature; also the value a null is replaced by */
  mean: Float32Array;
  /** training standard deviation per feature; 1 for a constant (or all-null) feature */
  std: Float32Array;
}

const f32 = Math.fround;

/** Fits mean and (population) standard deviation per feature over `rows`, ignoring nulls. */
export function fitStandardizer(x: Float64Array, width: number, rows: ArrayLike<number>): Standardizer {
  const sum = new Float64Array(width);
  const count = new Float64Array(width);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * width;
    for (let j = 0; j < width; j++) {
      const v = x[base + j]!;
      if (v === v) {
        sum[j] = sum[j]! + v;
        count[j]!++;
      }
    }
  }
  const mean = new Float64Array(width);
  for (let j = 0; j < width; j++) mean[j] = count[j]! > 0 ? sum[j]! / count[j]! : 0;
  // second pass for the variance: stable where one pass (E[x²] − E[x]²) cancels
  const squares = new Float64Array(width);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * width;
    for (let j = 0; j < width; j++) {
      const v = x[base + j]!;
      if (v === v) squares[j] = squares[j]! + (v - mean[j]!) ** 2;
    }
  }
  const out: Standardizer = { mean: new Float32Array(width), std: new Float32Array(width) };
  for (let j = 0; j < width; j++) {
    out.mean[j] = mean[j]!;
    const std = count[j]! > 0 ? Math.sqrt(squares[j]! / count[j]!) : 0;
    // a constant feature carries no signal; dividing by 1 keeps it finite (it becomes 0)
    out.std[j] = f32(std) > 1e-12 && Number.isFinite(std) ? std : 1;
  }
  return out;
}

/** One value as the model sees it: null (NaN) → mean, then `(x - mean) / std` in float32. */
export function standardizeValue(value: number, mean: number, std: number): number {
  const v = value === value ? f32(value) : mean;
  return f32(f32(v - mean) / std);
}

/** Standardises every row of a row-major matrix into float32. */
export function standardizeRows(x: ArrayLike<number>, width: number, scaler: Standardizer): Float32Array {
  const out = new Float32Array(x.length);
  const { mean, std } = scaler;
  for (let i = 0; i < x.length; i++) {
    const j = i % width;
    out[i] = standardizeValue(x[i]!, mean[j]!, std[j]!);
  }
  return out;
}

/** Mean and std of a regression target over `rows` (float32, std 1 when constant). */
export function fitTargetScale(y: Float64Array, rows: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let r = 0; r < rows.length; r++) sum += y[rows[r]!]!;
  const mean = sum / rows.length;
  let squares = 0;
  for (let r = 0; r < rows.length; r++) squares += (y[rows[r]!]! - mean) ** 2;
  const std = Math.sqrt(squares / rows.length);
  return { mean: f32(mean), std: f32(std) > 1e-12 ? f32(std) : 1 };
}
