import { trainingSetInvalid } from './feature-columns.js';
import { hash32, STREAM } from './prng.js';
import type { TabularDataset } from './training-data.js';

/** Which rows train the model and which judge it (row indices into the dataset). */
export interface DataSplit {
  train: Uint32Array;
  validation: Uint32Array;
  /** `time`: the latest rows by event_timestamp; `hash`: a seeded hash of the row position */
  method: 'time' | 'hash';
  /** time split: epoch ms of the first validation row */
  validationFrom?: number | undefined;
}

/**
 * Holds out `fraction` of the rows for validation. With timestamps (rows in time order)
 * the validation rows are the latest ones, as a model is judged on data later than it
 * learnt from; a timestamp is never split across the two sides. Without them each row
 * goes to validation when a hash of (seed, position) falls under `fraction`.
 *
 * @throws UnprocessableError `FALAJ_TRAINING_SET_INVALID` when either side would be empty
 */
export function splitRows(data: Pick<TabularDataset, 'rows' | 'timestamps'>, fraction: number, seed: number): DataSplit {
  const n = data.rows;
  let split: DataSplit;
  if (data.timestamps) {
    const ts = data.timestamps;
    let cut = n - Math.max(1, Math.round(n * fraction));
    // rows sharing the boundary's timestamp all go to validation, unless that empties training
    let back = cut;
    while (back > 0 && ts[back - 1] === ts[back]) back--;
    if (back > 0) cut = back;
    split = { train: range(0, cut), validation: range(cut, n), method: 'time', validationFrom: cut < n ? ts[cut] : undefined };
  } else {
    const threshold = fraction * 2 ** 32;
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < n; i++) (hash32(seed, STREAM.split, i) < threshold ? validation : train).push(i);
    split = { train: Uint32Array.from(train), validation: Uint32Array.from(validation), method: 'hash' };
  }
  if (split.train.length === 0 || split.validation.length === 0) {
    throw trainingSetInvalid(`${n} rows cannot be split into training and validation at validationFraction ${fraction}: each side needs at least one row`);
  }
  return split;
}

function range(from: number, to: number): Uint32Array {
  const out = new Uint32Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}
