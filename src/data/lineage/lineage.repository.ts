import type { DbOrTx } from '../../storage/metadata/index.js';
import type { LineageEdgeTable, LineageEventTable } from './lineage.table.js';

// Rows per multi-row insert and ids per `in (…)` list: far below SQLite's 32,766 bound
// variables and PostgreSQL's 65,535, whatever the column count.
const CHUNK = 500;

/** Stores one event row. */
export async function insertEvent(db: DbOrTx, row: LineageEventTable): Promise<void> {
  await db.insertInto('lineage_events').values(row).execute();
}

/**
 * Adds links; a link already there (same project, ends and job) takes the newer run id
 * and keeps its first `created_at`.
 */
export async function upsertEdges(db: DbOrTx, rows: LineageEdgeTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('lineage_edges')
      .values(rows.slice(i, i + CHUNK))
      .onConflict((oc) => oc.columns(['project', 'from_node', 'to_node', 'job_name']).doUpdateSet((eb) => ({ run_id: eb.ref('excluded.run_id') })))
      .execute();
  }
}

/** Events newest first, optionally of one job. */
export async function listEvents(db: DbOrTx, project: string, query: { job?: string; limit: number }): Promise<LineageEventTable[]> {
  let q = db.selectFrom('lineage_events').selectAll().where('project', '=', project);
  if (query.job !== undefined) q = q.where('job_name', '=', query.job);
  return q.orderBy('event_time', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
}

/** Links leaving (`down`) or entering (`up`) any of `nodes`. */
export async function edgesAt(db: DbOrTx, project: string, nodes: string[], direction: 'up' | 'down'): Promise<Pick<LineageEdgeTable, 'from_node' | 'to_node' | 'job_name'>[]> {
  const column = direction === 'down' ? 'from_node' : 'to_node';
  const out: Pick<LineageEdgeTable, 'from_node' | 'to_node' | 'job_name'>[] = [];
  for (let i = 0; i < nodes.length; i += CHUNK) {
    const rows = await db
      .selectFrom('lineage_edges')
      .select(['from_node', 'to_node', 'job_name'])
      .where('project', '=', project)
      .where(column, 'in', nodes.slice(i, i + CHUNK))
      .execute();
    out.push(...rows);
  }
  return out;
}

/** Whether any link starts or ends at `node`. */
export async function hasNode(db: DbOrTx, project: string, node: string): Promise<boolean> {
  const row = await db
    .selectFrom('lineage_edges')
    .select('from_node')
    .where('project', '=', project)
    .where((eb) => eb.or([eb('from_node', '=', node), eb('to_node', '=', node)]))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
