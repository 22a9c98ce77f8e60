import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PredictionRecord } from '../contracts.js';
import { isPathSafeName, type LogRow } from './log-row.js';
import { writeSegmentFile, type SpillSegment } from './segment-files.js';
import { SegmentWriter } from './segment-writer.js';

export type { SpillSegment } from './segment-files.js';

/** What became of records handed to `SpillStore.write`. */
export interface SpillOutcome {
  /** could not be written (disk full, no permission): still the caller's */
  failed: PredictionRecord[];
  /** the write error behind `failed` */
  error?: Error;
  /** can never be stored (a name unfit for a path, a circular value), with why */
  unstorable: Array<{ predictionId: string; reason: string }>;
}

/** What `SpillStore.recover` found in the folder. */
export interface SpillRecovery {
  segments: number;
  records: number;
  /** lines of interrupted writes that could not be read back (a crash mid-line) */
  unreadableLines: number;
  /** files that could not be read or rewritten; they stay in the folder for the next start */
  errors: Error[];
}

const SEGMENT = /^segment-.*\.jsonl$/;
const PARTIAL = /^segment-.*\.jsonl\.partial$/;

/**
 * The prediction log's disk buffer: JSON-lines segment files in one folder, one file per
 * (project, deployment) and batch. A segment is written under a `.partial` name and renamed
 * when complete, so a listed segment is never half-written. Writes run one at a time in
 * order, encoded on a worker thread when the build has one (`SegmentWriter`); a segment is
 * removed only once its rows are in Parquet. One process per folder.
 */
export class SpillStore {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly segments = new Map<string, SpillSegment>();
  private pending = 0;

  private readonly writer: SegmentWriter;

  constructor(
    private readonly dir: string,
    options: { worker?: boolean } = {},
  ) {
    this.writer = new SegmentWriter(options);
  }

  /** Records waiting on disk or being written there. */
  get records(): number {
    let total = this.pending;
    for (const segment of this.segments.values()) total += segment.records;
    return total;
  }

  /** Records handed to `write` whose segments are not yet on disk. */
  get pendingRecords(): number {
    return this.pending;
  }

  /** Where segments are encoded now: on a `worker` thread, or `inline` on the calling one. */
  get encoding(): 'worker' | 'inline' {
    return this.writer.mode;
  }

  /** Complete segments, oldest first. */
  list(): SpillSegment[] {
    return [...this.segments.values()];
  }

  /** Writes records as new segments, after every earlier write; never rejects. */
  write(records: readonly PredictionRecord[]): Promise<SpillOutcome> {
    this.pending += records.length;
    return this.serialized(async () => {
      try {
        const written = await this.writer.write(this.dir, records);
        for (const segment of written.segments) this.segments.set(segment.path, segment);
        const outcome: SpillOutcome = { failed: written.failed.map((i) => records[i]!), unstorable: written.unstorable };
        if (written.error !== undefined) outcome.error = new Error(written.error);
        return outcome;
      } finally {
        this.pending -= records.length;
      }
    });
  }

  /** Stops the encoding thread once every write asked for so far is done. */
  close(): Promise<void> {
    return this.serialized(() => this.writer.close());
  }

  /** Resolves once every write asked for so far is done. */
  idle(): Promise<void> {
    return this.serialized(async () => undefined);
  }

  /** Forgets a segment whose rows are in Parquet, and deletes its file. */
  async remove(segment: SpillSegment): Promise<void> {
    this.segments.delete(segment.path);
    await rm(segment.path, { force: true });
  }

  /**
   * Registers segments left in the folder by an earlier process (a crash, or a close whose
   * last flush failed). Interrupted `.partial` writes are salvaged line by line.
   */
  recover(): Promise<SpillRecovery> {
    return this.serialized(async () => {
      await mkdir(this.dir, { recursive: true });
      const found: SpillRecovery = { segments: 0, records: 0, unreadableLines: 0, errors: [] };
      for (const name of (await readdir(this.dir)).sort()) {
        const path = join(this.dir, name);
        if (this.segments.has(path) || !(SEGMENT.test(name) || PARTIAL.test(name))) continue;
        try {
          const { groups, unreadable } = parseSegment(await readFile(path, 'utf8'));
          const [only, ...others] = groups;
          if (only && others.length === 0 && unreadable === 0 && SEGMENT.test(name)) {
            this.segments.set(path, { path, project: only.project, deployment: only.deployment, records: only.ids.size });
          } else {
            // not a clean segment of ours: rewrite what can be read as proper segments
            for (const group of groups) await this.writeSegment(group.project, group.deployment, group.lines, group.ids.size);
            await rm(path, { force: true });
          }
          found.unreadableLines += unreadable;
          for (const group of groups) found.records += group.ids.size;
          found.segments += groups.length;
        } catch (err) {
          found.errors.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
      return found;
    });
  }

  private async writeSegment(project: string, deployment: string, lines: string[], records: number): Promise<void> {
    const path = await writeSegmentFile(this.dir, lines);
    this.segments.set(path, { path, project, deployment, records });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

interface ParsedGroup {
  project: string;
  deployment: string;
  lines: string[];
  ids: Set<string>;
}

function parseSegment(text: string): { groups: ParsedGroup[]; unreadable: number } {
  const groups = new Map<string, ParsedGroup>();
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let row: Partial<LogRow>;
    try {
      row = JSON.parse(line) as Partial<LogRow>;
    } catch {
      unreadable++;
      continue;
    }
    if (!isPathSafeName(row.project) || !isPathSafeName(row.deployment) || typeof row.prediction_id !== 'string') {
      unreadable++;
      continue;
    }
    const key = `${row.project}/${row.deployment}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { project: row.project, deployment: row.deployment, lines: [], ids: new Set() }));
    group.lines.push(line);
    group.ids.add(row.prediction_id);
  }
  return { groups: [...groups.values()], unreadable };
}
