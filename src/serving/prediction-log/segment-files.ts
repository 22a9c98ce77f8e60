import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PredictionRecord } from '../contracts.js';
import { toLogLines } from './log-row.js';

/** One spilled JSON-lines file: rows of one (project, deployment), waiting to become Parquet. */
export interface SpillSegment {
  path: string;
  project: string;
  deployment: string;
  /** predictions (not rows) it holds */
  records: number;
}

/** What became of a batch handed to {@link writeSegments}; records are named by their index in the batch. */
export interface SegmentsWritten {
  segments: SpillSegment[];
  /** could not be written (disk full, no permission): still the caller's */
  failed: number[];
  /** the first write error behind `failed` */
  error?: string;
  /** can never be stored (a name unfit for a path, a circular value), with why */
  unstorable: Array<{ predictionId: string; reason: string }>;
}

interface LineGroup {
  project: string;
  deployment: string;
  lines: string[];
  indices: number[];
}

let sequence = 0;

/**
 * Writes a batch of records as new segment files in `dir`, one per (project, deployment):
 * each under a `.partial` name, renamed when complete, so a listed segment is never
 * half-written. `pause` is awaited every `slice` records, to let an event loop breathe.
 * Never rejects.
 */
export async function writeSegments(dir: string, records: readonly PredictionRecord[], pause?: { every: number; wait: () => Promise<void> }): Promise<SegmentsWritten> {
  const result: SegmentsWritten = { segments: [], failed: [], unstorable: [] };
  const groups = new Map<string, LineGroup>();
  for (let n = 0; n < records.length; n++) {
    if (pause && n > 0 && n % pause.every === 0) await pause.wait();
    const record = records[n]!;
    let lines: string[];
    try {
      lines = toLogLines(record);
    } catch (err) {
      result.unstorable.push({ predictionId: String(record?.predictionId), reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const key = `${record.project}/${record.deployment}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { project: record.project, deployment: record.deployment, lines: [], indices: [] }));
    for (const line of lines) group.lines.push(line);
    group.indices.push(n);
  }
  for (const group of groups.values()) {
    try {
      result.segments.push({ path: await writeSegmentFile(dir, group.lines), project: group.project, deployment: group.deployment, records: group.indices.length });
    } catch (err) {
      result.failed.push(...group.indices);
      result.error ??= err instanceof Error ? err.message : String(err);
    }
  }
  return result;
}

/** Writes lines as one new segment file and answers its path. */
export async function writeSegmentFile(dir: string, lines: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  // time first, so that sorting names sorts segments oldest first across restarts
  const name = `segment-${String(Date.now()).padStart(15, '0')}-${String(sequence++).padStart(9, '0')}-${randomUUID()}.jsonl`;
  const path = join(dir, name);
  try {
    await writeFile(`${path}.partial`, lines.join('\n') + '\n');
    await rename(`${path}.partial`, path);
  } catch (err) {
    await rm(`${path}.partial`, { force: true }).catch(() => undefined);
    throw err;
  }
  return path;
}
