import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors/index.js';
import { acquireLease, releaseLease, type Db } from '../../storage/metadata/index.js';
import type { OnlineRow, OnlineStore } from '../../storage/online/index.js';
import type { AuditLog, PolicyService, Project, ProjectService, RequestContext } from '../../security/index.js';
import { entityKey, type ResolvedFeatureView } from '../definitions/resolved.js';
import type { FeatureRegistry } from '../registry/feature-registry.service.js';
import { readWatermark, writeWatermark } from './watermark.repository.js';

/** Latest value per entity in `(start, end]`, aggregations as of `end`, streamed in batches. */
export interface LatestValuesSource {
  stream(view: ResolvedFeatureView, range: { start: Date; end: Date }): AsyncIterable<LatestValueRow[]>;
  count?(view: ResolvedFeatureView, range: { start: Date; end: Date }): Promise<number>;
}

/** Join key values by join key name, the event time used, and each feature's value. */
export interface LatestValueRow {
  keys: unknown[];
  eventTs: number;
  values: Record<string, unknown>;
}

export type MaterializeEvent =
  | { type: 'view-start'; view: string; version: number; start: string; end: string; total?: number | undefined }
  | { type: 'progress'; view: string; rows: number; written: number; skipped: number; total?: number | undefined }
  | { type: 'view-done'; view: string; rows: number; written: number; skipped: number; seconds: number }
  | { type: 'view-skipped'; view: string; reason: string };

export interface MaterializeRequest {
  start?: Date | undefined;
  end: Date;
  views?: string[] | undefined;
  /** continue each view from its stored watermark */
  incremental: boolean;
}

const LEASE_MS = 60_000;
const BATCH = 5_000;

/**
 * Loads the latest feature values into the online store. Only a newer event timestamp
 * overwrites; watermarks let incremental runs continue where the last stopped; a
 * database lease per view keeps two replicas from materializing the same view at once.
 */
export class Materializer {
  private readonly listeners: ((ctx: RequestContext, project: string, view: ResolvedFeatureView, event: MaterializeEvent) => void)[] = [];

  private readonly holder = `replica-${randomUUID()}`;

  constructor(
    private readonly db: Kysely<Db>,
    private readonly registry: FeatureRegistry,
    private readonly projects: ProjectService,
    private readonly policy: PolicyService,
    private readonly audit: AuditLog,
    private readonly store: OnlineStore,
    private readonly source: LatestValuesSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Checks a request without running it (project, views, time range), so the HTTP route
   * can answer 4xx before it starts streaming progress.
   */
  async prepare(project: string, request: MaterializeRequest): Promise<{ project: Project; views: ResolvedFeatureView[] }> {
    const proj = await this.projects.get(project);
    const defs = await this.registry.definitions(project);
    const unknown = (request.views ?? []).filter((v) => !defs.views.has(v));
    if (unknown.length > 0) throw new NotFoundError('FALAJ_FEATURE_VIEW_NOT_FOUND', `unknown feature view(s): ${unknown.join(', ')}`);
    if (!request.incremental && !request.start) throw new InputError('FALAJ_BAD_REQUEST', 'materialize needs a start time (or use materialize-incremental)');
    if (request.start && request.start >= request.end) throw new InputError('FALAJ_BAD_REQUEST', 'start must be before end');
    return { project: proj, views: [...defs.views.values()].filter((v) => v.online && (!request.views || request.views.includes(v.name))) };
  }

  /** Called with every view's progress events, whoever runs the materialization (lineage). */
  onEvent(listener: (ctx: RequestContext, project: string, view: ResolvedFeatureView, event: MaterializeEvent) => void): void {
    this.listeners.push(listener);
  }

  async run(ctx: RequestContext, project: string, request: MaterializeRequest, emitTo: (e: MaterializeEvent) => void): Promise<{ views: number; rows: number }> {
    const { project: proj, views } = await this.prepare(project, request);
    const byName = new Map(views.map((v) => [v.name, v]));
    const emit = (e: MaterializeEvent) => {
      emitTo(e);
      const view = byName.get(e.view);
      if (view) for (const listener of this.listeners) listener(ctx, project, view, e);
    };
    // residency first, for every view, so nothing is half-written when one is refused
    for (const view of views) await this.policy.enforce(ctx, proj, view.classification, this.policy.store('online')!, `FeatureView/${view.name}`);

    let total = 0;
    for (const view of views) total += await this.materializeView(ctx, project, view, request, emit);
    return { views: views.length, rows: total };
  }

  private async materializeView(ctx: RequestContext, project: string, view: ResolvedFeatureView, request: MaterializeRequest, emit: (e: MaterializeEvent) => void): Promise<number> {
    const lease = `materialize:${project}:${view.name}`;
    if (!(await acquireLease(this.db, lease, this.holder, LEASE_MS, this.clock.now()))) {
      emit({ type: 'view-skipped', view: view.name, reason: 'another replica is materializing this view' });
      if (request.views?.length === 1) throw new ConflictError('FALAJ_MATERIALIZATION_BUSY', `feature view ${view.name} is being materialized by another replica`);
      return 0;
    }
    const renew = setInterval(() => void acquireLease(this.db, lease, this.holder, LEASE_MS, this.clock.now()).catch(() => undefined), LEASE_MS / 3);
    try {
      const began = performance.now();
      const start = await this.startFor(project, view, request);
      if (start >= request.end) {
        // an incremental run whose watermark already reaches `end`: nothing to do
        emit({ type: 'view-skipped', view: view.name, reason: `up to date (watermark ${start.toISOString()})` });
        return 0;
      }
      const range = { start, end: request.end };
      const total = this.source.count ? await this.source.count(view, range) : undefined;
      emit({ type: 'view-start', view: view.name, version: view.version, start: start.toISOString(), end: request.end.toISOString(), total });
      let rows = 0;
      let written = 0;
      let skipped = 0;
      let pending: OnlineRow[] = [];
      const flush = async () => {
        const result = await this.store.write(project, pending);
        written += result.written;
        skipped += result.skipped;
        pending = [];
        emit({ type: 'progress', view: view.name, rows, written, skipped, total });
      };
      // A view with aggregations is stamped with the time its values are true as of (the
      // window's end): its aggregates change as the window slides even when no new event
      // arrives, and only a newer stamp overwrites. Plain views keep their event time.
      const asOf = view.features.some((f) => f.aggregation) ? request.end.getTime() : undefined;
      for await (const batch of this.source.stream(view, range)) {
        for (const r of batch) pending.push({ entityKey: entityKey(view.joinKeys, r.keys), view: view.name, eventTs: asOf ?? r.eventTs, values: r.values });
        rows += batch.length;
        if (pending.length >= BATCH) await flush();
      }
      if (pending.length > 0 || rows === 0) await flush();
      const now = this.clock.now().toISOString();
      await this.db.transaction().execute(async (tx) => {
        await writeWatermark(tx, project, view.name, view.version, request.end.toISOString(), now);
        await this.audit.append(tx, {
          actor: ctx.principal.id,
          action: 'feature.materialize',
          resource: `FeatureView/${view.name}`,
          project,
          outcome: 'success',
          requestId: ctx.requestId,
          details: { version: view.version, start: start.toISOString(), end: request.end.toISOString(), rows, written, skipped },
        });
      });
      emit({ type: 'view-done', view: view.name, rows, written, skipped, seconds: (performance.now() - began) / 1000 });
      return rows;
    } finally {
      clearInterval(renew);
      await releaseLease(this.db, lease, this.holder);
    }
  }

  /** Explicit start; else the watermark of the same view version; else `end - ttl` (or the beginning). */
  private async startFor(project: string, view: ResolvedFeatureView, request: MaterializeRequest): Promise<Date> {
    if (!request.incremental) return request.start!;
    const mark = await readWatermark(this.db, project, view.name);
    if (mark && mark.version === view.version) return new Date(mark.watermark);
    return view.ttlMs > 0 ? new Date(request.end.getTime() - view.ttlMs) : new Date(0);
  }
}
