import type { Kysely } from 'kysely';

/**
 * Serving: deployments (spec, rollout status, the spec a rollback restores) and the
 * per-replica counts of predictions that canary analysis sums across replicas.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('previous_spec', 'text')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployments_pk', ['project', 'name'])
    .execute();

  await db.schema
    .createTable('serving_stats')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('replica', 'text', (c) => c.notNull())
    // the end of the interval the counts cover
    .addColumn('window_end', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    // JSON: counts per latency bucket (see latency-histogram.ts)
    .addColumn('latency', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('serving_stats_window').on('serving_stats').columns(['project', 'deployment', 'window_end']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('serving_stats').execute();
  await db.schema.dropTable('deployments').execute();
}
