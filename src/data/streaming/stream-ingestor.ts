import type { Kysely } from 'kysely';
import { toOnlineRow } from '../../features/push/push.service.js';
import type { ValidRow } from '../../features/push/push-row.js';
import type { PushSource, ResolvedFeatureView } from '../../features/index.js';
import type { Db, MetadataDialect } from '../../storage/metadata/index.js';
import type { LazyDuckDbEngine } from '../../storage/offline/index.js';
import type { OnlineStore } from '../../storage/online/index.js';
import type { StreamConsumer, StreamMessage } from '../contracts.js';
import { rowCheck, type RowCheck } from './row-contract.js';
import { appendStreamRows } from './stream-parquet.js';
import { applyTiles, pruneTiles, windowedViews } from './tiles/tile-store.js';
import { defaultTileMs } from './tiles/tile-size.js';
import type { StreamMetrics } from './stream-metrics.js';

export interface StreamIngestorOptions {
  /** most messages per fetch */
  batchSize: number;
  /** longest a valid row waits in memory before it is written and its message acknowledged */
  flushMs: number;
  /** flush early once this many rows are buffered */
  flushRows: number;
  /** staging directory for Parquet writes */
  tempDir: string;
}

export interface StreamIngestorDeps {
  project: string;
  source: PushSource;
  /** the online views over this source */
  views: ResolvedFeatureView[];
  consumer: StreamConsumer;
  /** the broker-side stream the consumer reads: message ids are unique only within it, so stored ids carry it */
  stream: string;
  online: OnlineStore;
  offline: LazyDuckDbEngine;
  db: Kysely<Db>;
  dialect: MetadataDialect;
  metrics: StreamMetrics;
  onError: (err: unknown) => void;
}

interface Pending {
  messages: StreamMessage[];
  rows: { row: ValidRow; id: string }[];
  dead: { message: StreamMessage; reason: string }[];
  since: number;
}

/**
 * One stream source's consumer loop. Messages are parsed and checked against the
 * source's contract; valid rows are buffered and, by size or time, written durably to
 * the offline store (fsynced Parquet) and to the online store (newer event time wins),
 * invalid ones to the dead-letter table, and only then are the messages acknowledged.
 * At-least-once, idempotent on replay: a crash after the writes and before the
 * acknowledgement redelivers messages whose online values are already there (same event
 * time: no change), whose offline rows are dropped on read by their message id, and
 * whose ids the tiles of windowed features have already recorded (not counted twice).
 */
export class StreamIngestor {
  private readonly check: RowCheck;
  /** views with windowed features: kept up to date through tiles */
  private readonly windowed: ResolvedFeatureView[];
  private readonly plain: ResolvedFeatureView[];
  private readonly tileMs: number;
  private lastPrune = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private pending: Pending = empty();

  constructor(
    private readonly deps: StreamIngestorDeps,
    private readonly options: StreamIngestorOptions,
  ) {
    const keys = [...new Set(deps.views.flatMap((v) => v.entities.flatMap((e) => Object.values(e.columns))))];
    this.check = rowCheck(deps.source, keys);
    this.windowed = windowedViews(deps.views);
    this.plain = deps.views.filter((v) => !this.windowed.includes(v));
    this.tileMs = deps.source.stream?.tileMs ?? defaultTileMs(this.windowed);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops fetching, writes and acknowledges what is buffered, closes the consumer. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.deps.consumer.close();
  }

  /** Messages in the stream not yet delivered to the group (null when the broker cannot say). */
  lag(): Promise<number | null> {
    return this.deps.consumer.lag();
  }

  /** One fetch and, when due, one flush (the loop's body; tests drive it directly). */
  async step(): Promise<void> {
    const wait = Math.max(1, this.options.flushMs - (Date.now() - this.pending.since));
    const messages = await this.deps.consumer.fetch(this.options.batchSize, this.pending.messages.length ? wait : this.options.flushMs);
    for (const message of messages) this.accept(message);
    const due = this.pending.messages.length > 0 && (this.pending.rows.length >= this.options.flushRows || Date.now() - this.pending.since >= this.options.flushMs);
    if (due) await this.flush();
  }

  /** Writes and acknowledges everything buffered. */
  async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.messages.length === 0) return;
    const { project, source, views, metrics } = this.deps;
    const started = performance.now();
    // offline first: it is the record of truth; the online store can be rebuilt from it
    await appendStreamRows(this.deps.offline, source, batch.rows, this.options.tempDir);
    if (views.length && batch.rows.length) {
      const onlineRows = this.plain.flatMap((v) => batch.rows.map((r) => toOnlineRow(v, r.row)));
      if (this.windowed.length) onlineRows.push(...(await applyTiles(this.deps.db, this.deps.dialect, { project, source, views: this.windowed, rows: batch.rows, tileMs: this.tileMs, now: Date.now() })));
      await this.deps.online.write(project, onlineRows);
      await this.prune();
      const now = Date.now();
      for (const r of batch.rows) metrics.freshness.observe({ project, source: source.name }, Math.max(0, now - r.row.eventTs) / 1000);
    }
    if (batch.dead.length) await this.deadLetter(batch.dead);
    await this.deps.consumer.ack(batch.messages);
    this.pending = empty();
    metrics.ingested.inc({ project, source: source.name }, batch.rows.length);
    if (batch.dead.length) metrics.deadLetters.inc({ project, source: source.name }, batch.dead.length);
    metrics.flushSeconds.observe({ project, source: source.name }, (performance.now() - started) / 1000);
  }

  /** Once a minute: tiles no window reaches any more, and applied ids older than a day (far past any redelivery). */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000 || this.windowed.length === 0) return;
    this.lastPrune = now;
    for (const view of this.windowed) {
      const longest = Math.max(...view.features.map((f) => f.aggregation?.windowMs ?? 0));
      await pruneTiles(this.deps.db, this.deps.project, view.name, longest + 2 * this.tileMs, now - 86_400_000);
    }
  }

  private accept(message: StreamMessage): void {
    if (this.pending.messages.length === 0) this.pending.since = Date.now();
    this.pending.messages.push(message);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(message.data).toString('utf8'));
    } catch {
      this.pending.dead.push({ message, reason: 'the message is not JSON' });
      return;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.pending.dead.push({ message, reason: 'the message is not a JSON object' });
      return;
    }
    const checked = this.check(parsed as Record<string, unknown>);
    if ('reason' in checked) this.pending.dead.push({ message, reason: checked.reason });
    else this.pending.rows.push({ row: checked.row, id: `${this.deps.stream}/${message.id}` });
  }

  private async deadLetter(dead: Pending['dead']): Promise<void> {
    const now = new Date().toISOString();
    const rows = dead.map(({ message, reason }) => ({
      project: this.deps.project,
      source: this.deps.source.name,
      message_id: `${this.deps.stream}/${message.id}`,
      reason,
      payload: Buffer.from(message.data).subarray(0, 65_536).toString('utf8'),
      received_at: now,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await this.deps.db.insertInto('stream_dead_letters').values(rows.slice(i, i + 200)).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
      } catch (err) {
        // nothing was acknowledged: the broker redelivers; wait a little before trying again
        this.deps.onError(err);
        this.pending = empty();
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    try {
      await this.flush();
    } catch (err) {
      this.deps.onError(err);
    }
  }
}

function empty(): Pending {
  return { messages: [], rows: [], dead: [], since: Date.now() };
}
