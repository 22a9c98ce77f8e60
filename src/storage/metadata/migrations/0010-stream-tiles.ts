import type { Kysely } from 'kysely';

/**
 * Stream tiles: partial aggregates per (view, entity, column, time tile) that streamed
 * events update, and the ids of the events already applied (so a redelivered message is
 * never counted twice).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stream_tiles')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('view', 'text', (c) => c.notNull())
    .addColumn('entity_key', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text', (c) => c.notNull())
    // epoch ms: the tile covers (tile_end - tile size, tile_end]
    .addColumn('tile_end', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('sum', 'double precision', (c) => c.notNull())
    .addColumn('sumsq', 'double precision', (c) => c.notNull())
    .addColumn('min', 'double precision')
    .addColumn('max', 'double precision')
    // JSON of the latest non-null value, and its event time (ms) and event id (ties)
    .addColumn('last_value', 'text')
    .addColumn('last_ts', 'bigint')
    .addColumn('last_id', 'text')
    .addPrimaryKeyConstraint('stream_tiles_pk', ['project', 'view', 'entity_key', 'column_name', 'tile_end'])
    .execute();
  await db.schema.createIndex('stream_tiles_end').on('stream_tiles').columns(['project', 'view', 'tile_end']).execute();

  await db.schema
    .createTable('stream_applied')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('stream_applied_pk', ['project', 'source', 'event_id'])
    .execute();
  await db.schema.createIndex('stream_applied_at').on('stream_applied').columns(['applied_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stream_applied').execute();
  await db.schema.dropTable('stream_tiles').execute();
}
