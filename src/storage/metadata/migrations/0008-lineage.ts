import type { Kysely } from 'kysely';

/**
 * Lineage: OpenLineage run events as received, and the input → output links of COMPLETE
 * runs, kept on write so that walking the graph reads only small indexed rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lineage_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_time', 'text', (c) => c.notNull())
    .addColumn('job_namespace', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    // JSON: node ids of the inputs and outputs
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text', (c) => c.notNull())
    // JSON: the whole event as received
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('lineage_events_job').on('lineage_events').columns(['project', 'job_name', 'event_time']).execute();
  await db.schema.createIndex('lineage_events_time').on('lineage_events').columns(['project', 'event_time']).execute();

  await db.schema
    .createTable('lineage_edges')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('from_node', 'text', (c) => c.notNull())
    .addColumn('to_node', 'text', (c) => c.notNull())
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // unique: a COMPLETE run seen again refreshes its links instead of doubling them; also serves walks downstream
  await db.schema.createIndex('lineage_edges_link').on('lineage_edges').columns(['project', 'from_node', 'to_node', 'job_name']).unique().execute();
  // walks upstream look links up by their target
  await db.schema.createIndex('lineage_edges_to').on('lineage_edges').columns(['project', 'to_node']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lineage_edges').execute();
  await db.schema.dropTable('lineage_events').execute();
}
