import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Db } from '../../storage/metadata/index.js';
import { insertStats, pruneStats } from './deployment.repository.js';
import { bucketOf, emptyHistogram } from './latency-histogram.js';

interface Counts {
  requests: number;
  errors: number;
  latency: number[];
}

/**
 * Counts predictions per deployment variant in this replica and writes them to the
 * metadata database every few seconds (one row per variant per interval, insert only),
 * so the rollout controller, wherever it runs, judges a canary on every replica's traffic.
 */
export class VariantStats {
  readonly replica = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private counts = new Map<string, Counts>();
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly options: { flushMs: number; retainMs?: number; onError?: (err: unknown) => void },
  ) {}

  record(project: string, deployment: string, variant: string, latencyMs: number, ok: boolean): void {
    const key = `${project}\u0000${deployment}\u0000${variant}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { requests: 0, errors: 0, latency: emptyHistogram() }));
    c.requests++;
    if (!ok) c.errors++;
    c.latency[bucketOf(latencyMs)]!++;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush().catch((err) => this.options.onError?.(err)), this.options.flushMs);
    this.timer.unref();
  }

  /** Writes what was counted since the last flush. */
  async flush(now = new Date()): Promise<void> {
    if (this.counts.size === 0) return;
    const taken = this.counts;
    this.counts = new Map();
    const windowEnd = now.toISOString();
    const rows = [...taken].map(([key, c]) => {
      const [project, deployment, variant] = key.split('\u0000') as [string, string, string];
      return { project, deployment, variant, replica: this.replica, window_end: windowEnd, requests: c.requests, errors: c.errors, latency: JSON.stringify(c.latency) };
    });
    try {
      await insertStats(this.db, rows);
    } catch (err) {
      // put the counts back: the next flush carries them
      for (const [key, c] of taken) {
        const cur = this.counts.get(key);
        if (!cur) this.counts.set(key, c);
        else {
          cur.requests += c.requests;
          cur.errors += c.errors;
          c.latency.forEach((n, i) => (cur.latency[i]! += n));
        }
      }
      throw err;
    }
    const retain = this.options.retainMs ?? 86_400_000;
    if (now.getTime() - this.lastPrune > retain / 24) {
      this.lastPrune = now.getTime();
      await pruneStats(this.db, new Date(now.getTime() - retain).toISOString());
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err) => this.options.onError?.(err));
  }
}
