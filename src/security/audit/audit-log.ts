import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { canonicalJson, type SigningKey, verifySignature } from '../../core/crypto/index.js';
import type { Db, DbOrTx, MetadataDialect } from '../../storage/metadata/index.js';
import * as repo from './audit.repository.js';
import type { AuditEventTable } from './audit.table.js';
import { GENESIS_HASH, hashRow, headMessage, type AuditEntry, type AuditEvent, type AuditOutcome } from './audit-event.js';

export interface AuditVerification {
  ok: boolean;
  /** events checked */
  checked: number;
  /** the sequence number of the head the database claims */
  headSeq: number;
  /** first sequence number at which the chain breaks */
  firstBrokenSeq?: number;
  reason?: string;
}

const VERIFY_PAGE = 2_000;

/**
 * The tamper-evident audit log: an append-only, hash-chained list of events whose
 * head (newest sequence number and hash) is signed with the platform Ed25519 key.
 * Editing or deleting any row, the tail included, or rewriting the chain end to end
 * without the key is reported by {@link AuditLog.verify}.
 */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Db>,
    private readonly dialect: MetadataDialect,
    private readonly signingKey: SigningKey,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Writes the genesis head on first start (a no-op afterwards, safe across replicas). */
  async init(): Promise<void> {
    await repo.insertHeadIfMissing(this.db, {
      id: 1,
      seq: 0,
      hash: GENESIS_HASH,
      signature: this.signingKey.sign(headMessage(0, GENESIS_HASH)),
      key_id: this.signingKey.keyId,
      updated_at: this.clock.now().toISOString(),
    });
  }

  /**
   * Appends an event inside the caller's transaction, so the event exists if and only
   * if the change it describes was committed.
   */
  async append(tx: DbOrTx, entry: AuditEntry): Promise<AuditEvent> {
    const head = await repo.lockHead(tx, this.dialect);
    if (!head) throw new Error('audit head missing: AuditLog.init() was not called');
    const row: Omit<AuditEventTable, 'hash'> = {
      seq: head.seq + 1,
      time: this.clock.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      resource: entry.resource,
      project: entry.project ?? null,
      outcome: entry.outcome,
      request_id: entry.requestId ?? null,
      details: canonicalJson(entry.details ?? {}),
      prev_hash: head.hash,
    };
    const hash = hashRow(row);
    await repo.insertEvent(tx, { ...row, hash });
    await repo.updateHead(tx, {
      id: 1,
      seq: row.seq,
      hash,
      signature: this.signingKey.sign(headMessage(row.seq, hash)),
      key_id: this.signingKey.keyId,
      updated_at: row.time,
    });
    return toEvent({ ...row, hash });
  }

  /** Appends an event in a transaction of its own (denials, policy violations). */
  async record(entry: AuditEntry): Promise<AuditEvent> {
    return this.db.transaction().execute((tx) => this.append(tx, entry));
  }

  async list(query: repo.AuditQuery): Promise<AuditEvent[]> {
    return (await repo.listEvents(this.db, query)).map(toEvent);
  }

  /** Recomputes the whole chain and checks the signed head; reports the first break. */
  async verify(): Promise<AuditVerification> {
    const head = await repo.readHead(this.db);
    if (!head) return { ok: false, checked: 0, headSeq: 0, firstBrokenSeq: 0, reason: 'audit head row is missing' };
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    const broken = (seq: number, reason: string): AuditVerification => ({ ok: false, checked, headSeq: head.seq, firstBrokenSeq: seq, reason });
    for (;;) {
      const rows = await repo.listEvents(this.db, { afterSeq: expectedSeq - 1, limit: VERIFY_PAGE });
      for (const row of rows) {
        if (row.seq !== expectedSeq) return broken(expectedSeq, `event ${expectedSeq} is missing`);
        if (row.prev_hash !== prevHash) return broken(row.seq, `event ${row.seq} does not link to the event before it`);
        const recomputed = hashRow(row);
        if (recomputed !== row.hash) return broken(row.seq, `event ${row.seq} was modified (hash mismatch)`);
        prevHash = row.hash;
        expectedSeq++;
        checked++;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const lastSeq = expectedSeq - 1;
    if (head.seq > lastSeq) return broken(lastSeq + 1, `events ${lastSeq + 1}..${head.seq} are missing (tail deleted)`);
    if (head.seq < lastSeq) return broken(head.seq + 1, `events ${head.seq + 1}..${lastSeq} lie beyond the signed chain head`);
    // same length, different hash: the newest event is the one that disagrees with the head
    if (head.hash !== prevHash) return broken(head.seq, 'the chain head does not match the newest event');
    if (head.key_id !== this.signingKey.keyId || !verifySignature(this.signingKey.publicKeyPem(), headMessage(head.seq, head.hash), head.signature)) {
      return broken(head.seq, 'the chain head signature does not verify with the platform key');
    }
    return { ok: true, checked, headSeq: head.seq };
  }
}

function toEvent(row: AuditEventTable): AuditEvent {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    project: row.project,
    outcome: row.outcome as AuditOutcome,
    requestId: row.request_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
