import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdamState } from './adam.js';

/** One epoch's metrics (train_loss, val_loss, val_auc, …), as logged to tracking. */
export interface EpochRecord {
  /** 1-based */
  epoch: number;
  metrics: Record<string, number>;
}

/**
 * Everything that decides the rest of a run after an epoch: with it, a resumed run
 * computes bit for bit what an uninterrupted one would (the shuffle of each epoch comes
 * from (seed, epoch), not from state carried along).
 */
export interface TrainingState {
  /** epochs completed */
  epoch: number;
  params: Float64Array;
  adam: AdamState;
  /** 0 until a first validation loss */
  bestEpoch: number;
  bestValLoss: number;
  bestParams: Float64Array;
  /** epochs since the validation loss last improved */
  badEpochs: number;
  /** set once training is over (all epochs run, or early stopping); a restart then only exports */
  stopReason: 'epochs' | 'early-stopping' | null;
  history: EpochRecord[];
}

/** What a checkpoint also records for people reading it (not needed to resume). */
export interface CheckpointInfo {
  featureNames: string[];
  standardizer: { mean: number[]; std: number[] };
  target?: { mean: number; std: number } | undefined;
}

const FILE = 'tabular-trainer.checkpoint.json';
const FORMAT = 1;

/** SHA-256 over the resolved spec and the data as loaded: a checkpoint resumes only the same job. */
export function trainingFingerprint(spec: unknown, parts: { featureNames: string[]; arrays: (Float64Array | Float32Array | Uint32Array | undefined)[] }): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(spec));
  hash.update('\u0000');
  hash.update(JSON.stringify(parts.featureNames));
  for (const array of parts.arrays) {
    hash.update(array ? `\u0000${array.constructor.name}:${array.length}\u0000` : '\u0000none\u0000');
    if (array) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Writes the state atomically: a temporary file in the same directory, flushed to disk,
 * then renamed over the previous checkpoint. A kill at any moment leaves either the old
 * checkpoint or the new one, never a torn file.
 */
export async function saveCheckpoint(dir: string, fingerprint: string, state: TrainingState, info: CheckpointInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  const body = JSON.stringify({
    format: FORMAT,
    fingerprint,
    epoch: state.epoch,
    params: encodeArray(state.params),
    adam: { m: encodeArray(state.adam.m), v: encodeArray(state.adam.v), step: state.adam.step },
    bestEpoch: state.bestEpoch,
    bestValLoss: encodeNumber(state.bestValLoss),
    bestParams: encodeArray(state.bestParams),
    badEpochs: state.badEpochs,
    stopReason: state.stopReason,
    history: state.history.map((h) => ({ epoch: h.epoch, metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, encodeNumber(v)])) })),
    info,
  });
  const target = join(dir, FILE);
  const temporary = join(dir, `.${FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(body, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

export type LoadedCheckpoint = { kind: 'none' } | { kind: 'mismatch'; reason: string } | { kind: 'resumable'; state: TrainingState };

/** Reads the checkpoint in `dir`, if any, and says whether it belongs to this job (same fingerprint). */
export async function loadCheckpoint(dir: string, fingerprint: string): Promise<LoadedCheckpoint> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  let raw: Record<string, any>;
  try {
    raw = JSON.parse(text) as Record<string, any>;
  } catch {
    return { kind: 'mismatch', reason: 'the checkpoint file is not valid JSON' };
  }
  if (raw.format !== FORMAT) return { kind: 'mismatch', reason: `checkpoint format ${String(raw.format)} is not ${FORMAT}` };
  if (raw.fingerprint !== fingerprint) return { kind: 'mismatch', reason: 'the checkpoint was made for another spec or other data' };
  return {
    kind: 'resumable',
    state: {
      epoch: raw.epoch,
      params: decodeArray(raw.params),
      adam: { m: decodeArray(raw.adam.m), v: decodeArray(raw.adam.v), step: raw.adam.step },
      bestEpoch: raw.bestEpoch,
      bestValLoss: decodeNumber(raw.bestValLoss),
      bestParams: decodeArray(raw.bestParams),
      badEpochs: raw.badEpochs,
      stopReason: raw.stopReason,
      history: (raw.history as { epoch: number; metrics: Record<string, number | string> }[]).map((h) => ({
        epoch: h.epoch,
        metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, decodeNumber(v)])),
      })),
    },
  };
}

// Float64Array bytes as base64: exact (JSON numbers would be too, but 3× larger).
function encodeArray(array: Float64Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function decodeArray(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

// JSON has no NaN or Infinity: carry them as strings
function encodeNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function decodeNumber(value: number | string): number {
  return typeof value === 'string' ? Number(value) : value;
}
