import type { DbOrTx, MetadataDialect } from '../../storage/metadata/index.js';
import type { AuditEventTable, AuditHeadTable } from './audit.table.js';

export interface AuditQuery {
  project?: string | undefined;
  /** only events with a sequence number above this */
  afterSeq?: number | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  limit: number;
}

/**
 * Reads the chain head, locking it for the rest of the transaction. On PostgreSQL
 * `FOR UPDATE` makes concurrent appenders queue on this row, so the chain can never
 * fork; SQLite has no row locks and needs none: Kysely runs one transaction at a time
 * on its single connection, and SQLite itself allows one writer.
 */
export async function lockHead(tx: DbOrTx, dialect: MetadataDialect): Promise<AuditHeadTable | undefined> {
  const query = tx.selectFrom('audit_head').selectAll().where('id', '=', 1);
  return dialect === 'postgres' ? query.forUpdate().executeTakeFirst() : query.executeTakeFirst();
}

export async function insertHeadIfMissing(db: DbOrTx, head: AuditHeadTable): Promise<void> {
  await db.insertInto('audit_head').values(head).onConflict((oc) => oc.column('id').doNothing()).execute();
}

export async function updateHead(tx: DbOrTx, head: AuditHeadTable): Promise<void> {
  await tx.updateTable('audit_head').set(head).where('id', '=', 1).execute();
}

export async function insertEvent(tx: DbOrTx, row: AuditEventTable): Promise<void> {
  await tx.insertInto('audit_events').values(row).execute();
}

export async function listEvents(db: DbOrTx, query: AuditQuery): Promise<AuditEventTable[]> {
  let q = db.selectFrom('audit_events').selectAll().orderBy('seq', 'asc').limit(query.limit);
  if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq);
  if (query.project !== undefined) q = q.where('project', '=', query.project);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
  return q.execute();
}

export async function readHead(db: DbOrTx): Promise<AuditHeadTable | undefined> {
  return db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
}
