import type { Kysely } from 'kysely';

/**
 * Training: compute pools (platform-wide, like Kueue's ResourceFlavor + capacity), queues
 * per project (quotas per flavor, cohorts), jobs and their attempts. A job's state lives
 * here so any replica can take over the scheduling loop and reconcile after a restart.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('compute_pools')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('training_queues')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('training_queues_pk', ['project', 'name'])
    .execute();

  await db.schema
    .createTable('training_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('waiting_reason', 'text')
    .addColumn('last_error', 'text')
    .addColumn('cost', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('dataset_id', 'text')
    .addColumn('training_data_path', 'text')
    .addColumn('model_name', 'text')
    .addColumn('model_version', 'integer')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('training_jobs_status').on('training_jobs').columns(['status', 'priority', 'submitted_at']).execute();
  await db.schema.createIndex('training_jobs_project').on('training_jobs').columns(['project', 'submitted_at']).execute();

  await db.schema
    .createTable('training_attempts')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    // the short-lived API token the attempt logs with, revoked when it ends
    .addColumn('token_id', 'text')
    .addColumn('cpu_milli', 'integer', (c) => c.notNull())
    .addColumn('memory_mib', 'integer', (c) => c.notNull())
    .addColumn('gpu_indices', 'text', (c) => c.notNull())
    .addColumn('gpu_milli', 'integer', (c) => c.notNull())
    .addColumn('borrowed', 'integer', (c) => c.notNull())
    .addColumn('preemptible', 'integer', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('exit_code', 'integer')
    .addColumn('message', 'text')
    .addColumn('stop_reason', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('cost', 'real', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('training_attempts_pk', ['job_id', 'attempt'])
    .execute();
  await db.schema.createIndex('training_attempts_state').on('training_attempts').columns(['state']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['training_attempts', 'training_jobs', 'training_queues', 'compute_pools']) await db.schema.dropTable(t).execute();
}
