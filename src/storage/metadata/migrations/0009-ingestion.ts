import type { Kysely } from 'kysely';

/** Data ingestion: batch ingestions with their quality reports, and stream dead letters. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ingestions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_version', 'integer', (c) => c.notNull())
    .addColumn('dataset_version', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull())
    .addColumn('accepted', 'integer', (c) => c.notNull())
    .addColumn('quarantined', 'integer', (c) => c.notNull())
    .addColumn('rejected_reason', 'text')
    .addColumn('results', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('quarantine_file', 'text')
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ingestions_source').on('ingestions').columns(['project', 'source', 'created_at']).execute();

  await db.schema
    .createTable('stream_dead_letters')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stream_dead_letters_pk', ['project', 'source', 'message_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stream_dead_letters').execute();
  await db.schema.dropTable('ingestions').execute();
}
