import type { Tensor } from '../runtime/index.js';

/**
 * Per row, what a request's tensors held, for the prediction log: a named feature matrix
 * (`featureNames`) becomes one field per feature; any other input one field per input (a
 * number, or an array for a wider row).
 */
export function tensorRows(feeds: Record<string, Tensor>, rows: number, featureNames: readonly string[] | null): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  const entries = Object.entries(feeds);
  for (const [name, t] of entries) {
    const width = rows > 0 && t.dims[0] === rows ? t.data.length / rows : 0;
    const named = featureNames && entries.length === 1 && featureNames.length === width ? featureNames : null;
    for (let r = 0; r < rows; r++) {
      const row = out[r]!;
      if (width === 0) row[name] = null;
      else if (named) for (let j = 0; j < width; j++) row[named[j]!] = plain(t.data[r * width + j]);
      else if (width === 1) row[name] = plain(t.data[r]);
      else row[name] = Array.from({ length: width }, (_, j) => plain(t.data[r * width + j]));
    }
  }
  return out;
}

/** A deep enough copy of feeds for a mirror (the primary's buffers are transferred to a worker). */
export function cloneFeeds(feeds: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { ...t, data: Array.isArray(t.data) ? [...t.data] : t.data.slice(), dims: [...t.dims] }]));
}

function plain(v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' && !Number.isFinite(v) ? null : v;
}
