import type { Kysely } from 'kysely';

/**
 * The lineage outbox: one row per stored run event still to be forwarded to the
 * OpenLineage endpoint (`lineage.url`). Written in the transaction that stores the event,
 * deleted once the endpoint took it (or refused it for good), so an event accepted before
 * a crash or a restart is still forwarded afterwards, by whichever replica holds the
 * `lineage-forwarder` lease.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lineage_outbox')
    // the event row holds the body; cascade so the outbox never points at nothing
    .addColumn('event_id', 'text', (c) => c.primaryKey().references('lineage_events.id').onDelete('cascade'))
    // sending order: one more than the largest waiting (see addToOutbox)
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // answers that failed this event while the endpoint was up (a 500): counted towards maxAttempts
    .addColumn('refusals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('lineage_outbox_seq').on('lineage_outbox').columns(['seq', 'event_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lineage_outbox').execute();
}
