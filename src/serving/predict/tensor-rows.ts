import type { FeatureMatrix, NumberArray } from '../contracts.js';
import type { Tensor } from '../runtime/index.js';

/**
 * Per row, what a request's tensors held, for the prediction log: a named feature matrix
 * (`featureNames`) becomes one field per feature; any other input one field per input (a
 * number, or an array for a wider row).
 */
export function tensorRows(feeds: Record<string, Tensor>, rows: number, featureNames: readonly string[] | null): Record<string, unknown>[] {
  return Array.from({ length: rows }, (_, r) => tensorRow(feeds, rows, featureNames, r));
}

/**
 * The same rows as {@link tensorRows}, for a prediction record. A named matrix of numbers,
 * the usual tabular model, is kept as a copy of its typed array (the original is
 * transferred to an inference worker) and turned into JSON only by the prediction log,
 * off the request's path; anything else becomes objects at once.
 */
export function loggedTensorRows(feeds: Record<string, Tensor>, rows: number, featureNames: readonly string[] | null): Record<string, unknown>[] | FeatureMatrix {
  const tensors = Object.values(feeds);
  const only = tensors.length === 1 ? tensors[0]! : undefined;
  const width = only && rows > 0 && only.dims[0] === rows ? only.data.length / rows : 0;
  if (!only || featureNames === null || featureNames.length !== width || width === 0 || only.type === 'float16' || !isNumberArray(only.data)) {
    return tensorRows(feeds, rows, featureNames);
  }
  return { names: featureNames, data: only.data.slice() };
}

/** A deep enough copy of feeds for a mirror (the primary's buffers are transferred to a worker). */
export function cloneFeeds(feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, copyTensor(t)]));
}

function copyTensor(t: Tensor): Tensor {
  return { ...t, data: Array.isArray(t.data) ? [...t.data] : t.data.slice(), dims: [...t.dims] };
}

function tensorRow(feeds: Record<string, Tensor>, rows: number, featureNames: readonly string[] | null, r: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const entries = Object.entries(feeds);
  for (const [name, t] of entries) {
    const width = rows > 0 && t.dims[0] === rows ? t.data.length / rows : 0;
    const named = featureNames && entries.length === 1 && featureNames.length === width ? featureNames : null;
    if (width === 0) row[name] = null;
    else if (named) for (let j = 0; j < width; j++) row[named[j]!] = plain(t.data[r * width + j]);
    else if (width === 1) row[name] = plain(t.data[r]);
    else row[name] = Array.from({ length: width }, (_, j) => plain(t.data[r * width + j]));
  }
  return row;
}

function isNumberArray(data: unknown): data is NumberArray {
  return ArrayBuffer.isView(data) && !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array) && !(data instanceof DataView);
}

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
