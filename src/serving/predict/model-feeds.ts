import { InputError } from '../../core/errors/index.js';
import type { TensorSpec } from '../contracts.js';
import type { ServedModel } from '../live/served-models.js';
import type { Tensor, TensorArray, TensorType } from '../runtime/index.js';
import type { FeatureRow, Scalar } from './feature-rows.js';

const FLOATS = new Set(['float32', 'float64']);
const INTS: Record<string, new (n: number) => TensorArray> = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, bool: Uint8Array };

/** The model's inputs built from named values, and what was fed (for the prediction log). */
export interface ModelFeeds {
  feeds: Record<string, Tensor>;
  /** per row: every value fed, by feature name */
  fed: Record<string, Scalar>[];
}

/**
 * Turns feature rows into the model's input tensors, in the order its signature wants:
 * - one 2-D float input whose columns are named (`falaj.feature_names`, the built-in
 *   trainer's models): a row-major matrix, null as NaN (the graph imputes it);
 * - otherwise one input per feature, named after it, shaped `[N]` or `[N, 1]`.
 *
 * @throws InputError `FALAJ_PREDICTION_INPUT_INVALID` naming the missing features
 */
export function modelFeeds(model: ServedModel, rows: readonly FeatureRow[]): ModelFeeds {
  const n = rows.length;
  if (model.featureNames) {
    const names = model.featureNames;
    requireAll(model, names, rows);
    const input = model.inputs[0]!;
    if (!FLOATS.has(input.type)) throw notFeedable(model, `its input ${input.name} is ${input.type}, not a float matrix`);
    const data = input.type === 'float64' ? new Float64Array(n * names.length) : new Float32Array(n * names.length);
    const fed: Record<string, Scalar>[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      const out: Record<string, Scalar> = {};
      for (let j = 0; j < names.length; j++) {
        const v = row.get(names[j]!) ?? null;
        out[names[j]!] = v;
        data[r * names.length + j] = toFloat(v, names[j]!);
      }
      fed[r] = out;
    }
    return { feeds: { [input.name]: { type: input.type as TensorType, data, dims: [n, names.length] } }, fed };
  }
  for (const input of model.inputs) {
    if (input.shape.length > 2 || (input.shape.length === 2 && input.shape[1] !== 1 && input.shape[1] !== -1)) {
      throw notFeedable(model, `input ${input.name} has shape [${input.shape.join(', ')}]: only [N] and [N, 1] inputs can be fed from named features; call the Open Inference Protocol endpoint with tensors instead`);
    }
  }
  requireAll(model, model.inputs.map((i) => i.name), rows);
  const fed: Record<string, Scalar>[] = rows.map(() => ({}));
  const feeds: Record<string, Tensor> = {};
  for (const input of model.inputs) {
    const values = rows.map((row, r) => (fed[r]![input.name] = row.get(input.name) ?? null));
    feeds[input.name] = column(input, values);
  }
  return { feeds, fed };
}

/** Per row: every output by name; a one-wide output as a number, a wider one as an array. */
export function outputRows(outputs: Record<string, Tensor>, rows: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    const width = rows > 0 && t.dims[0] === rows ? t.data.length / rows : 0;
    for (let r = 0; r < rows; r++) {
      if (width === 0) out[r]![name] = null;
      else if (width === 1) out[r]![name] = plain(t.data[r]);
      else out[r]![name] = Array.from({ length: width }, (_, j) => plain(t.data[r * width + j]));
    }
  }
  return out;
}

function column(input: TensorSpec, values: Scalar[]): Tensor {
  const dims = input.shape.length === 2 ? [values.length, 1] : [values.length];
  if (input.type === 'string') return { type: 'string', data: values.map((v) => (v === null ? '' : String(v))), dims };
  if (FLOATS.has(input.type)) {
    const data = input.type === 'float64' ? new Float64Array(values.length) : new Float32Array(values.length);
    values.forEach((v, i) => (data[i] = toFloat(v, input.name)));
    return { type: input.type as TensorType, data, dims };
  }
  if (input.type === 'int64') return { type: 'int64', data: BigInt64Array.from(values, (v) => BigInt(toInteger(v, input.name))), dims };
  const Array_ = INTS[input.type];
  if (!Array_) throw new InputError('FALAJ_PREDICTION_INPUT_INVALID', `input ${input.name} is ${input.type}: not fed from named features`);
  const data = new Array_(values.length) as Exclude<TensorArray, BigInt64Array | BigUint64Array>;
  values.forEach((v, i) => (data[i] = toInteger(v, input.name)));
  return { type: input.type as TensorType, data, dims };
}

function toFloat(v: Scalar, name: string): number {
  if (v === null) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InputError('FALAJ_PREDICTION_INPUT_INVALID', `feature ${name} is "${v}", not a number`);
  return n;
}

function toInteger(v: Scalar, name: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = typeof v === 'number' ? v : v === null ? NaN : Number(v);
  if (!Number.isInteger(n)) throw new InputError('FALAJ_PREDICTION_INPUT_INVALID', `feature ${name} is ${JSON.stringify(v)}: the model takes an integer`);
  return n;
}

function requireAll(model: ServedModel, names: readonly string[], rows: readonly FeatureRow[]): void {
  const missing = names.filter((name) => rows.some((row) => !row.has(name)));
  if (missing.length) {
    throw new InputError(
      'FALAJ_PREDICTION_INPUT_INVALID',
      `${model.model} v${model.version} needs ${missing.length} feature(s) neither the feature service nor the request gives: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`,
    );
  }
}

function notFeedable(model: ServedModel, why: string): InputError {
  return new InputError('FALAJ_PREDICTION_INPUT_INVALID', `${model.model} v${model.version} cannot be fed from named features: ${why}`);
}

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}
