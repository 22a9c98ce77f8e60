import { sql } from 'kysely';
import type { DbOrTx } from '../../storage/metadata/index.js';

/** An outbox row with the event it forwards (the stored JSON, sent as-is). */
export interface OutboxEntry {
  eventId: string;
  attempts: number;
  refusals: number;
  nextAttemptAt: string;
  /** the event as received, JSON */
  event: string;
}

/**
 * Adds a stored event to the outbox, behind every event waiting. `seq` is one more than
 * the largest waiting: exact on SQLite (one writer at a time); on PostgreSQL two replicas
 * storing at the same instant may take the same number, and those ties go by event id,
 * which is as good an order as two simultaneous events have.
 */
export async function addToOutbox(db: DbOrTx, row: { eventId: string; createdAt: string }): Promise<void> {
  await db
    .insertInto('lineage_outbox')
    .values((eb) => ({
      event_id: row.eventId,
      seq: eb.selectFrom('lineage_outbox').select(sql<number>`coalesce(max(seq), 0) + 1`.as('next')),
      created_at: row.createdAt,
      attempts: 0,
      refusals: 0,
      next_attempt_at: row.createdAt,
      last_error: null,
    }))
    .execute();
}

/** The oldest `limit` waiting events, in sending order, due or not. */
export async function outboxHead(db: DbOrTx, limit: number): Promise<OutboxEntry[]> {
  const rows = await db
    .selectFrom('lineage_outbox as o')
    .innerJoin('lineage_events as e', 'e.id', 'o.event_id')
    .select(['o.event_id', 'o.attempts', 'o.refusals', 'o.next_attempt_at', 'e.event'])
    .orderBy('o.seq')
    .orderBy('o.event_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ eventId: r.event_id, attempts: Number(r.attempts), refusals: Number(r.refusals), nextAttemptAt: r.next_attempt_at, event: r.event }));
}

/** Takes an event out of the outbox (sent, refused or out of tries). */
export async function removeFromOutbox(db: DbOrTx, eventId: string): Promise<void> {
  await db.deleteFrom('lineage_outbox').where('event_id', '=', eventId).execute();
}

/** Records a failed send: the event stays, to be tried again at `nextAttemptAt`. */
export async function deferOutboxEntry(db: DbOrTx, eventId: string, retry: { attempts: number; refusals: number; nextAttemptAt: string; error: string }): Promise<void> {
  await db
    .updateTable('lineage_outbox')
    .set({ attempts: retry.attempts, refusals: retry.refusals, next_attempt_at: retry.nextAttemptAt, last_error: retry.error })
    .where('event_id', '=', eventId)
    .execute();
}

/** Events waiting in the outbox, whoever stored them. */
export async function countOutbox(db: DbOrTx): Promise<number> {
  const row = await db.selectFrom('lineage_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
