import type { DbOrTx } from '../../storage/metadata/index.js';
import type { IngestionTable } from './ingestion.table.js';
import type { Ingestion } from './ingestion-types.js';

export function toIngestion(row: IngestionTable): Ingestion {
  return {
    id: row.id,
    project: row.project,
    source: row.source,
    sourceVersion: Number(row.source_version),
    datasetVersion: row.dataset_version === null ? null : Number(row.dataset_version),
    status: row.status as Ingestion['status'],
    received: Number(row.received),
    accepted: Number(row.accepted),
    quarantined: Number(row.quarantined),
    rejectedReason: row.rejected_reason,
    results: JSON.parse(row.results),
    profile: JSON.parse(row.profile),
    sha256: row.sha256,
    files: JSON.parse(row.files),
    quarantineFile: row.quarantine_file,
    input: JSON.parse(row.input),
    durationMs: Number(row.duration_ms),
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

export async function insertIngestion(db: DbOrTx, row: IngestionTable): Promise<void> {
  await db.insertInto('ingestions').values(row).execute();
}

export async function findIngestion(db: DbOrTx, project: string, id: string): Promise<IngestionTable | undefined> {
  return db.selectFrom('ingestions').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
}

export async function listIngestions(db: DbOrTx, project: string, source: string | undefined, limit: number): Promise<IngestionTable[]> {
  let q = db.selectFrom('ingestions').selectAll().where('project', '=', project);
  if (source) q = q.where('source', '=', source);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function lastDatasetVersion(db: DbOrTx, project: string, source: string): Promise<number> {
  const row = await db.selectFrom('ingestions').select((eb) => eb.fn.max('dataset_version').as('v')).where('project', '=', project).where('source', '=', source).executeTakeFirst();
  return Number(row?.v ?? 0);
}

/** The newest ingestion that accepted rows (its profile is the reference). */
export async function latestAccepted(db: DbOrTx, project: string, source: string): Promise<IngestionTable | undefined> {
  return db.selectFrom('ingestions').selectAll().where('project', '=', project).where('source', '=', source).where('accepted', '>', 0)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}
