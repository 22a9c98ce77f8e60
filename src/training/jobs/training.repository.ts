import type { DbOrTx } from '../../storage/metadata/index.js';
import type { ComputePoolTable, JobStatus, TrainingAttemptTable, TrainingJobTable, TrainingQueueTable } from './training.table.js';
import './training.table.js';

export const findPool = (db: DbOrTx, name: string): Promise<ComputePoolTable | undefined> =>
  db.selectFrom('compute_pools').selectAll().where('name', '=', name).executeTakeFirst();

export const listPools = (db: DbOrTx): Promise<ComputePoolTable[]> => db.selectFrom('compute_pools').selectAll().orderBy('name').execute();

export async function upsertPool(db: DbOrTx, row: ComputePoolTable): Promise<void> {
  await db
    .insertInto('compute_pools')
    .values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet({ spec: row.spec, version: row.version, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}

export const deletePool = (db: DbOrTx, name: string) => db.deleteFrom('compute_pools').where('name', '=', name).execute();

export const findQueue = (db: DbOrTx, project: string, name: string): Promise<TrainingQueueTable | undefined> =>
  db.selectFrom('training_queues').selectAll().where('project', '=', project).where('name', '=', name).executeTakeFirst();

export function listQueues(db: DbOrTx, project?: string): Promise<TrainingQueueTable[]> {
  let q = db.selectFrom('training_queues').selectAll();
  if (project !== undefined) q = q.where('project', '=', project);
  return q.orderBy('project').orderBy('name').execute();
}

export async function upsertQueue(db: DbOrTx, row: TrainingQueueTable): Promise<void> {
  await db
    .insertInto('training_queues')
    .values(row)
    .onConflict((oc) => oc.columns(['project', 'name']).doUpdateSet({ spec: row.spec, version: row.version, updated_at: row.updated_at, updated_by: row.updated_by }))
    .execute();
}

export const insertJob = (db: DbOrTx, row: TrainingJobTable) => db.insertInto('training_jobs').values(row).execute();

export const findJob = (db: DbOrTx, id: string): Promise<TrainingJobTable | undefined> =>
  db.selectFrom('training_jobs').selectAll().where('id', '=', id).executeTakeFirst();

export async function updateJob(db: DbOrTx, id: string, patch: Partial<TrainingJobTable>): Promise<void> {
  await db.updateTable('training_jobs').set(patch).where('id', '=', id).execute();
}

export interface JobFilter {
  project?: string | undefined;
  status?: JobStatus[] | undefined;
  queue?: string | undefined;
  limit?: number | undefined;
}

export function listJobs(db: DbOrTx, filter: JobFilter): Promise<TrainingJobTable[]> {
  let q = db.selectFrom('training_jobs').selectAll();
  if (filter.project !== undefined) q = q.where('project', '=', filter.project);
  if (filter.status?.length) q = q.where('status', 'in', filter.status);
  if (filter.queue !== undefined) q = q.where('queue', '=', filter.queue);
  return q.orderBy('submitted_at', 'desc').orderBy('id', 'desc').limit(filter.limit ?? 1000).execute();
}

/** Jobs waiting for admission, in no particular order (the policy orders them). */
export const queuedJobs = (db: DbOrTx): Promise<TrainingJobTable[]> =>
  db.selectFrom('training_jobs').selectAll().where('status', '=', 'queued').execute();

export const cancelRequested = (db: DbOrTx): Promise<TrainingJobTable[]> =>
  db.selectFrom('training_jobs').selectAll().where('cancel_requested', '=', 1).where('status', 'in', ['queued', 'running']).execute();

export const insertAttempt = (db: DbOrTx, row: TrainingAttemptTable) => db.insertInto('training_attempts').values(row).execute();

export const findAttempt = (db: DbOrTx, jobId: string, attempt: number): Promise<TrainingAttemptTable | undefined> =>
  db.selectFrom('training_attempts').selectAll().where('job_id', '=', jobId).where('attempt', '=', attempt).executeTakeFirst();

export async function updateAttempt(db: DbOrTx, jobId: string, attempt: number, patch: Partial<TrainingAttemptTable>): Promise<void> {
  await db.updateTable('training_attempts').set(patch).where('job_id', '=', jobId).where('attempt', '=', attempt).execute();
}

/** Attempts holding capacity: not ended. */
export const activeAttempts = (db: DbOrTx): Promise<TrainingAttemptTable[]> =>
  db.selectFrom('training_attempts').selectAll().where('state', '!=', 'ended').execute();

export const attemptsOf = (db: DbOrTx, jobId: string): Promise<TrainingAttemptTable[]> =>
  db.selectFrom('training_attempts').selectAll().where('job_id', '=', jobId).orderBy('attempt').execute();

/** Cost of ended attempts per queue, for `falaj queues list`. */
export async function costByQueue(db: DbOrTx, project?: string): Promise<Map<string, number>> {
  let q = db.selectFrom('training_attempts').select(['project', 'queue']).select((eb) => eb.fn.sum<number>('cost').as('cost')).groupBy(['project', 'queue']);
  if (project !== undefined) q = q.where('project', '=', project);
  const rows = await q.execute();
  return new Map(rows.map((r) => [`${r.project}/${r.queue}`, Number(r.cost ?? 0)]));
}
