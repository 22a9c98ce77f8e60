import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { NotFoundError, UnprocessableError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../storage/metadata/index.js';
import type { OnlineRow, OnlineStore } from '../../storage/online/index.js';
import type { PolicyService, ProjectService, RequestContext } from '../../security/index.js';
import { entityKey, type PushSource, type ResolvedFeatureView } from '../definitions/resolved.js';
import type { FeatureRegistry } from '../registry/feature-registry.service.js';
import { validateRow, type ValidRow } from './push-row.js';

export type PushTarget = 'online' | 'offline' | 'online_and_offline';

/** Appends validated rows of a push source to the offline store (date-partitioned Parquet). */
export type OfflineAppender = (source: PushSource, rows: readonly ValidRow[]) => Promise<number>;

export interface PushResult {
  accepted: number;
  quarantined: number;
  /** why rows were quarantined (the first few) */
  problems: { row: number; reason: string }[];
  onlineWritten: number;
  onlineSkipped: number;
  offlineRows: number;
  ignoredColumns: string[];
}

export const MAX_PUSH_ROWS = 100_000;

/**
 * Rows pushed over HTTP (Feast's `/push`, or ours): validated against the push source's
 * schema, invalid rows quarantined with their reason, valid rows written to the online
 * store (each online view fed by the source; only a newer event overwrites) and/or the
 * offline store. Residency is enforced before anything is written.
 */
export class PushService {
  constructor(
    private readonly db: Kysely<Db>,
    private readonly registry: FeatureRegistry,
    private readonly projects: ProjectService,
    private readonly policy: PolicyService,
    private readonly store: OnlineStore,
    private readonly appendOffline: OfflineAppender,
    private readonly clock: Clock = systemClock,
  ) {}

  async push(ctx: RequestContext, project: string, sourceName: string, rows: Record<string, unknown>[], to: PushTarget): Promise<PushResult> {
    if (rows.length > MAX_PUSH_ROWS) throw new UnprocessableError('FALAJ_ENTITY_ROWS_INVALID', `at most ${MAX_PUSH_ROWS} rows per push`);
    const proj = await this.projects.get(project);
    const defs = await this.registry.definitions(project);
    const source = defs.sources.get(sourceName);
    if (!source || source.kind !== 'push') throw new NotFoundError('FALAJ_PUSH_SOURCE_NOT_FOUND', `push source ${sourceName} is not registered in project ${project}`);
    const views = [...defs.views.values()].filter((v) => v.source.name === sourceName && v.online);

    const toOnline = to !== 'offline';
    const toOffline = to !== 'online';
    if (toOffline) await this.policy.enforce(ctx, proj, source.classification, this.policy.store('offline')!, `PushSource/${sourceName}`);
    if (toOnline) for (const v of views) await this.policy.enforce(ctx, proj, v.classification, this.policy.store('online')!, `FeatureView/${v.name}`);

    const required = [source.timestampField, ...new Set(views.flatMap((v) => v.entities.flatMap((e) => Object.values(e.columns))))];
    const valid: ValidRow[] = [];
    const bad: { row: number; reason: string; data: Record<string, unknown> }[] = [];
    rows.forEach((row, i) => {
      const checked = validateRow(row, source.schema, required, source.timestampField, source.createdTimestampField);
      if ('reason' in checked) bad.push({ row: i, reason: checked.reason, data: row });
      else valid.push(checked.row);
    });
    if (bad.length > 0) await this.quarantine(ctx, project, sourceName, bad);

    const result: PushResult = {
      accepted: valid.length,
      quarantined: bad.length,
      problems: bad.slice(0, 20).map(({ row, reason }) => ({ row, reason })),
      onlineWritten: 0,
      onlineSkipped: 0,
      offlineRows: 0,
      ignoredColumns: [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !(c in source.schema)),
    };
    if (valid.length === 0) return result;
    // offline first: it is the record of truth; the online store can be rebuilt from it
    if (toOffline) result.offlineRows = await this.appendOffline(source, valid);
    if (toOnline) {
      const onlineRows = views.flatMap((v) => valid.map((r) => toOnlineRow(v, r)));
      const written = await this.store.write(project, onlineRows);
      result.onlineWritten = written.written;
      result.onlineSkipped = written.skipped;
    }
    return result;
  }

  private async quarantine(ctx: RequestContext, project: string, source: string, bad: { reason: string; data: Record<string, unknown> }[]): Promise<void> {
    const now = this.clock.now();
    const rows = bad.map((b) => ({
      id: newId('qrn', now.getTime()),
      project,
      push_source: source,
      row: JSON.stringify(b.data),
      reason: b.reason,
      request_id: ctx.requestId ?? null,
      created_at: now.toISOString(),
    }));
    for (let i = 0; i < rows.length; i += 500) await this.db.insertInto('push_quarantine').values(rows.slice(i, i + 500)).execute();
  }
}

/** Plain features only: a pushed row has no history to aggregate (materialization computes those). */
export function toOnlineRow(view: ResolvedFeatureView, row: ValidRow): OnlineRow {
  const keyColumns = view.joinKeys.map((k) => view.entities.find((e) => k in e.columns)!.columns[k]!);
  const values: Record<string, unknown> = {};
  for (const f of view.features) if (f.column) values[f.name] = row.values[f.column] ?? null;
  return { entityKey: entityKey(view.joinKeys, keyColumns.map((c) => row.values[c])), view: view.name, eventTs: row.eventTs, values };
}
