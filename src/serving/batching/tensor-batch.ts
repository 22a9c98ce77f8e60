import { InputError } from '../../core/errors/index.js';
import type { Tensor, TensorArray } from '../runtime/index.js';

type TypedArrayConstructor = new (length: number) => TensorArray;

/**
 * The rows of one request (its dim 0, the same for every input) and the key of the
 * batches it may join: input names, element types, array kinds and every dim but dim 0.
 * Throws `FALAJ_INFERENCE_INPUT_INVALID` for feeds that cannot be batched.
 */
export function describeFeeds(feeds: Record<string, Tensor>): { rows: number; shapeKey: string } {
  const names = Object.keys(feeds).sort();
  if (names.length === 0) throw invalid('a request needs at least one input tensor');
  let rows = -1;
  const parts: string[] = [];
  for (const name of names) {
    const t = feeds[name]!;
    const dim0 = t.dims[0];
    if (dim0 === undefined || !Number.isInteger(dim0) || dim0 < 1) {
      throw invalid(`input ${name} has dims [${t.dims.join(', ')}]; batching needs the batch (≥ 1 row) as dim 0`);
    }
    if (rows !== -1 && dim0 !== rows) throw invalid(`inputs disagree on the batch size (dim 0): ${name} has ${dim0} rows, another input has ${rows}`);
    rows = dim0;
    const expected = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw invalid(`input ${name} has ${t.data.length} elements but dims [${t.dims.join(', ')}] need ${expected}`);
    const kind = Array.isArray(t.data) ? 'array' : t.data.constructor.name;
    parts.push(`${JSON.stringify(name)}:${t.type}:${kind}:${t.dims.slice(1).join('x')}`);
  }
  return { rows, shapeKey: parts.join('|') };
}

/**
 * Concatenates compatible requests along dim 0 (same `describeFeeds` key): one
 * allocation per input, each request's data copied in with `TypedArray.set` at its
 * row offset; string tensors concatenate as arrays.
 */
export function concatFeeds(requests: Record<string, Tensor>[], totalRows: number): Record<string, Tensor> {
  const first = requests[0]!;
  const out: Record<string, Tensor> = {};
  for (const [name, head] of Object.entries(first)) {
    const rowSize = head.data.length / head.dims[0]!;
    const dims = [totalRows, ...head.dims.slice(1)];
    if (Array.isArray(head.data)) {
      const data: string[] = new Array<string>(totalRows * rowSize);
      let at = 0;
      for (const r of requests) {
        const part = r[name]!.data as string[];
        for (let i = 0; i < part.length; i++) data[at++] = part[i]!;
      }
      out[name] = { type: head.type, data, dims };
    } else {
      const data = new (head.data.constructor as TypedArrayConstructor)(totalRows * rowSize);
      let at = 0;
      for (const r of requests) {
        const part = r[name]!.data as TensorArray;
        // same constructor is part of the shape key, so the set is type-safe
        (data as Float32Array).set(part as Float32Array, at);
        at += part.length;
      }
      out[name] = { type: head.type, data, dims };
    }
  }
  return out;
}

/**
 * Splits a batch's outputs back into each request's rows, in order. Every output must
 * have the batch's rows as dim 0; otherwise the model's output is not batched and the
 * rows cannot be attributed, so this throws `FALAJ_INFERENCE_FAILED` rather than guess.
 * Each part is a copy (`slice`) owning its buffer, so callers may transfer it.
 */
export function splitOutputs(outputs: Record<string, Tensor>, rowCounts: number[]): Record<string, Tensor>[] {
  assertBatched(outputs, rowCounts.reduce((a, b) => a + b, 0));
  const parts: Record<string, Tensor>[] = rowCounts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    const rowSize = t.dims[0] === 0 ? 0 : t.data.length / t.dims[0]!;
    let row = 0;
    rowCounts.forEach((rows, i) => {
      const data = t.data.slice(row * rowSize, (row + rows) * rowSize) as TensorArray | string[];
      parts[i]![name] = { type: t.type, data, dims: [rows, ...t.dims.slice(1)] };
      row += rows;
    });
  }
  return parts;
}

/** Throws `FALAJ_INFERENCE_FAILED` unless every output has `rows` as dim 0. */
export function assertBatched(outputs: Record<string, Tensor>, rows: number): void {
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== rows) {
      throw new InputError(
        'FALAJ_INFERENCE_FAILED',
        `output ${name} has dims [${t.dims.join(', ')}] but the batch had ${rows} rows: dynamic batching needs every output to have the batch as dim 0; turn batching off for this model`,
        { details: { output: name, dims: t.dims, rows } },
      );
    }
  }
}

function invalid(message: string): InputError {
  return new InputError('FALAJ_INFERENCE_INPUT_INVALID', message);
}
