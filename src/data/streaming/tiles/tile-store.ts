import { sql, type Kysely } from 'kysely';
import { entityKey, type PushSource, type ResolvedFeatureView } from '../../../features/index.js';
import type { ValidRow } from '../../../features/push/push-row.js';
import type { Db, DbOrTx, MetadataDialect } from '../../../storage/metadata/index.js';
import type { OnlineRow } from '../../../storage/online/index.js';
import { addToTile, aggregateOf, emptyTile, tileEndOf, type Tile } from './tile-math.js';
import './tile.table.js';

const CHUNK = 400;

/** The views whose windowed features streams keep up to date through tiles. */
export function windowedViews(views: readonly ResolvedFeatureView[]): ResolvedFeatureView[] {
  return views.filter((v) => v.features.some((f) => f.aggregation));
}

/**
 * Applies a batch of stream rows to the windowed views' tiles and returns the views'
 * online rows recomputed from the tiles, in one metadata transaction:
 * 1. the batch's event ids are recorded; ids already there (a redelivered message) are
 *    left out, so no event is ever counted twice;
 * 2. each new event adds to the tile of each aggregated column (count, sum, sum of
 *    squares, min, max, last) of its entity;
 * 3. each touched entity's features are computed from its tiles as of the end of its
 *    newest tile, over `(asOf - window, asOf]`: what the offline store computes for the
 *    same instant.
 */
export async function applyTiles(
  db: Kysely<Db>,
  dialect: MetadataDialect,
  input: { project: string; source: PushSource; views: readonly ResolvedFeatureView[]; rows: readonly { row: ValidRow; id: string }[]; tileMs: number; now: number },
): Promise<OnlineRow[]> {
  const { project, source, views, tileMs } = input;
  return db.transaction().execute(async (tx) => {
    const fresh = await freshIds(tx, project, source.name, input.rows.map((r) => r.id), input.now);
    const rows = input.rows.filter((r) => fresh.has(r.id));
    const out: OnlineRow[] = [];
    for (const view of views) {
      const columns = [...new Set(view.features.map((f) => f.aggregation?.column ?? f.column!))];
      const keyColumns = view.joinKeys.map((k) => view.entities.find((e) => k in e.columns)!.columns[k]!);
      const deltas = new Map<string, { entity: string; column: string; tile: Tile }>();
      const touched = new Set<string>();
      for (const { row, id } of rows) {
        const entity = entityKey(view.joinKeys, keyColumns.map((c) => row.values[c]));
        touched.add(entity);
        const end = tileEndOf(row.eventTs, tileMs);
        for (const column of columns) {
          const key = `${entity}\u0000${column}\u0000${end}`;
          let d = deltas.get(key);
          if (!d) deltas.set(key, (d = { entity, column, tile: emptyTile(end) }));
          addToTile(d.tile, row.values[column], row.eventTs, id);
        }
      }
      await upsertTiles(tx, dialect, project, view.name, [...deltas.values()]);
      const longest = Math.max(...view.features.map((f) => f.aggregation?.windowMs ?? 0), tileMs);
      const stored = await readTiles(tx, project, view.name, [...touched]);
      for (const [entity, tiles] of stored) {
        const asOf = Math.max(...[...tiles.values()].flat().map((t) => t.tileEnd));
        const newest = Math.max(...[...tiles.values()].flat().map((t) => t.lastTs ?? 0));
        const values: Record<string, unknown> = {};
        for (const f of view.features) {
          const column = f.aggregation?.column ?? f.column!;
          const columnTiles = (tiles.get(column) ?? []).filter((t) => t.tileEnd > asOf - longest);
          values[f.name] = f.aggregation ? aggregateOf(f, columnTiles, asOf) : aggregateOf({ ...f, aggregation: { function: 'last', column, window: '', windowMs: longest } }, columnTiles, asOf);
        }
        out.push({ entityKey: entity, view: view.name, eventTs: newest, values, replace: true });
      }
    }
    return out;
  });
}

/**
 * Forgets tiles no window reaches any more — older than the view's newest tile minus
 * `keepMs` (event time, not wall-clock time, so a replayed history keeps its tiles) —
 * and applied ids recorded before `appliedBefore` (wall-clock).
 */
export async function pruneTiles(db: Kysely<Db>, project: string, view: string, keepMs: number, appliedBefore: number): Promise<void> {
  const newest = await db.selectFrom('stream_tiles').select((eb) => eb.fn.max('tile_end').as('end')).where('project', '=', project).where('view', '=', view).executeTakeFirst();
  if (newest?.end !== null && newest?.end !== undefined) {
    await db.deleteFrom('stream_tiles').where('project', '=', project).where('view', '=', view).where('tile_end', '<', Number(newest.end) - keepMs).execute();
  }
  await db.deleteFrom('stream_applied').where('project', '=', project).where('applied_at', '<', appliedBefore).execute();
}

async function freshIds(tx: DbOrTx, project: string, source: string, ids: string[], now: number): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const values = ids.slice(i, i + CHUNK).map((event_id) => ({ project, source, event_id, applied_at: now }));
    const inserted = await tx.insertInto('stream_applied').values(values).onConflict((oc) => oc.doNothing()).returning('event_id').execute();
    for (const r of inserted) fresh.add(r.event_id);
  }
  return fresh;
}

async function upsertTiles(tx: DbOrTx, dialect: MetadataDialect, project: string, view: string, deltas: { entity: string; column: string; tile: Tile }[]): Promise<void> {
  const least = dialect === 'postgres' ? 'LEAST' : 'min';
  const greatest = dialect === 'postgres' ? 'GREATEST' : 'max';
  for (let i = 0; i < deltas.length; i += CHUNK) {
    const values = deltas.slice(i, i + CHUNK).map(({ entity, column, tile: t }) => ({
      project, view, entity_key: entity, column_name: column, tile_end: t.tileEnd, count: t.count, sum: t.sum, sumsq: t.sumsq,
      min: t.min, max: t.max, last_value: t.lastTs === null ? null : JSON.stringify(t.lastValue), last_ts: t.lastTs, last_id: t.lastId,
    }));
    const newer = sql`(excluded.last_ts > stream_tiles.last_ts OR stream_tiles.last_ts IS NULL OR (excluded.last_ts = stream_tiles.last_ts AND excluded.last_id > stream_tiles.last_id))`;
    await tx.insertInto('stream_tiles').values(values).onConflict((oc) =>
      oc.columns(['project', 'view', 'entity_key', 'column_name', 'tile_end']).doUpdateSet({
        count: sql`stream_tiles.count + excluded.count`,
        sum: sql`stream_tiles.sum + excluded.sum`,
        sumsq: sql`stream_tiles.sumsq + excluded.sumsq`,
        min: sql`coalesce(${sql.raw(least)}(stream_tiles.min, excluded.min), stream_tiles.min, excluded.min)`,
        max: sql`coalesce(${sql.raw(greatest)}(stream_tiles.max, excluded.max), stream_tiles.max, excluded.max)`,
        last_value: sql`CASE WHEN excluded.last_ts IS NOT NULL AND ${newer} THEN excluded.last_value ELSE stream_tiles.last_value END`,
        last_id: sql`CASE WHEN excluded.last_ts IS NOT NULL AND ${newer} THEN excluded.last_id ELSE stream_tiles.last_id END`,
        last_ts: sql`CASE WHEN excluded.last_ts IS NOT NULL AND ${newer} THEN excluded.last_ts ELSE stream_tiles.last_ts END`,
      }),
    ).execute();
  }
}

/** Every stored tile of the entities, by entity and column. */
async function readTiles(tx: DbOrTx, project: string, view: string, entities: string[]): Promise<Map<string, Map<string, Tile[]>>> {
  const out = new Map<string, Map<string, Tile[]>>();
  for (let i = 0; i < entities.length; i += CHUNK) {
    const rows = await tx.selectFrom('stream_tiles').selectAll().where('project', '=', project).where('view', '=', view).where('entity_key', 'in', entities.slice(i, i + CHUNK)).execute();
    for (const r of rows) {
      const byColumn = out.get(r.entity_key) ?? new Map<string, Tile[]>();
      out.set(r.entity_key, byColumn);
      const list = byColumn.get(r.column_name) ?? [];
      byColumn.set(r.column_name, list);
      list.push({
        tileEnd: Number(r.tile_end), count: Number(r.count), sum: Number(r.sum), sumsq: Number(r.sumsq),
        min: r.min === null ? null : Number(r.min), max: r.max === null ? null : Number(r.max),
        lastValue: r.last_value === null ? null : JSON.parse(r.last_value), lastTs: r.last_ts === null ? null : Number(r.last_ts), lastId: r.last_id,
      });
    }
  }
  return out;
}
