import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { FeatureRegistry, PushSource } from '../../features/index.js';
import { SYSTEM_PRINCIPAL, type ProjectService } from '../../security/index.js';
import type { Db, MetadataDialect } from '../../storage/metadata/index.js';
import type { LazyDuckDbEngine } from '../../storage/offline/index.js';
import type { OnlineStore } from '../../storage/online/index.js';
import type { StreamBroker } from '../contracts.js';
import { createStreamMetrics, type StreamMetrics } from './stream-metrics.js';
import { StreamIngestor, type StreamIngestorOptions } from './stream-ingestor.js';

export interface StreamManagerOptions extends Omit<StreamIngestorOptions, 'tempDir'> {
  /** broker name → URL (config `streams.brokers`) */
  brokers: Record<string, string>;
  /** ms between looks for new, changed and removed stream sources */
  refreshMs: number;
  dataDir: string;
  /** opens a broker by URL (the storage adapters' createBroker) */
  openBroker: (url: string) => Promise<StreamBroker>;
  onError: (err: unknown) => void;
}

/** A stream source as this replica runs it. */
export interface StreamStatus {
  project: string;
  source: string;
  sourceVersion: number;
  broker: string;
  subject: string;
  group: string;
  /** consuming on this replica */
  running: boolean;
  lag: number | null;
  error: string | null;
}

interface Running {
  status: StreamStatus;
  ingestor: StreamIngestor | undefined;
}

/**
 * Runs one consumer per stream source of every project, in `falaj up` and on
 * `--role ingest` replicas. Replicas share the work through the broker's consumer group
 * (JetStream durable consumer, Kafka group, Redis group): each message reaches one of
 * them. Every `refreshMs` it starts consumers for new sources, restarts those whose
 * definition changed, stops removed ones, and reads each group's lag.
 */
export class StreamManager {
  readonly metrics: StreamMetrics;
  private readonly running = new Map<string, Running>();
  private readonly brokers = new Map<string, Promise<StreamBroker>>();
  private readonly replica = `${hostname()}-${process.pid}`;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private readonly lastErrors = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Db>,
    private readonly dialect: MetadataDialect,
    private readonly projects: ProjectService,
    private readonly registry: FeatureRegistry,
    private readonly online: OnlineStore,
    private readonly offline: LazyDuckDbEngine,
    metricsRegistry: Registry,
    private readonly options: StreamManagerOptions,
  ) {
    this.metrics = createStreamMetrics(metricsRegistry, () => this.statuses().map((s) => ({ project: s.project, source: s.source, lag: s.lag })));
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.pass ??= this.refresh().catch(this.options.onError).finally(() => (this.pass = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.options.refreshMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
    await Promise.all([...this.running.values()].map((r) => r.ingestor?.stop().catch(this.options.onError)));
    this.running.clear();
    for (const broker of this.brokers.values()) await (await broker.catch(() => undefined))?.close().catch(() => undefined);
    this.brokers.clear();
  }

  statuses(project?: string): StreamStatus[] {
    return [...this.running.values()].map((r) => r.status).filter((s) => project === undefined || s.project === project);
  }

  /** One pass: start, restart and stop consumers to match the definitions; read lags. */
  async refresh(): Promise<void> {
    const wanted = new Map<string, { project: string; source: PushSource }>();
    for (const project of await this.projects.list(SYSTEM_PRINCIPAL)) {
      const defs = await this.registry.definitions(project.name);
      for (const source of defs.sources.values()) if (source.kind === 'push' && source.stream) wanted.set(`${project.name}/${source.name}`, { project: project.name, source });
    }
    for (const [key, r] of this.running) {
      const want = wanted.get(key);
      // a source that could not start (no broker, broker down) is tried again on every pass
      if (!want || want.source.version !== r.status.sourceVersion || !r.ingestor) {
        await r.ingestor?.stop().catch(this.options.onError);
        this.running.delete(key);
      }
    }
    for (const [key, { project, source }] of wanted) if (!this.running.has(key)) this.running.set(key, await this.launch(project, source));
    for (const r of this.running.values()) {
      if (!r.ingestor) continue;
      r.status.lag = await r.ingestor.lag().catch(() => null);
    }
  }

  private async launch(project: string, source: PushSource): Promise<Running> {
    const stream = source.stream!;
    const group = stream.group ?? `falaj-${project}-${source.name}`;
    const status: StreamStatus = { project, source: source.name, sourceVersion: source.version, broker: stream.broker, subject: stream.subject, group, running: false, lag: null, error: null };
    const url = this.options.brokers[stream.broker];
    if (!url) {
      status.error = `no broker "${stream.broker}" in config streams.brokers (known: ${Object.keys(this.options.brokers).join(', ') || 'none'})`;
      return { status, ingestor: undefined };
    }
    try {
      const broker = await this.broker(url);
      // the stream's name follows the subject: a source moved to another subject gets a new stream
      const name = `falaj_${project}_${source.name}_${createHash('sha256').update(stream.subject).digest('hex').slice(0, 8)}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const consumer = await broker.consumer({ stream: name, subject: stream.subject, group, consumer: this.replica });
      const views = [...(await this.registry.definitions(project)).views.values()].filter((v) => v.source.name === source.name && v.online);
      const ingestor = new StreamIngestor(
        { project, source, views, consumer, stream: name, online: this.online, offline: this.offline, db: this.db, dialect: this.dialect, metrics: this.metrics, onError: (err) => {
          status.error = (err as Error).message;
          this.options.onError(err);
        } },
        { batchSize: this.options.batchSize, flushMs: this.options.flushMs, flushRows: this.options.flushRows, tempDir: join(this.options.dataDir, 'tmp', 'streams') },
      );
      ingestor.start();
      status.running = true;
      return { status, ingestor };
    } catch (err) {
      status.error = (err as Error).message;
      // retried on every pass: warn once per distinct failure, not every few seconds
      const key = `${project}/${source.name}`;
      if (this.lastErrors.get(key) !== status.error) this.options.onError(err);
      this.lastErrors.set(key, status.error);
      return { status, ingestor: undefined };
    }
  }

  private broker(url: string): Promise<StreamBroker> {
    let broker = this.brokers.get(url);
    if (!broker) {
      broker = this.options.openBroker(url);
      broker.catch(() => this.brokers.delete(url));
      this.brokers.set(url, broker);
    }
    return broker;
  }
}
