import { canonicalJson, sha256Hex } from '../../core/crypto/index.js';
import type { AuditEventTable } from './audit.table.js';

export type AuditOutcome = 'success' | 'denied' | 'failure';

/** What a caller asks to be written to the audit log. */
export interface AuditEntry {
  actor: string;
  action: string;
  resource: string;
  project?: string | null;
  outcome: AuditOutcome;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

/** One stored, chained event. */
export interface AuditEvent {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resource: string;
  project: string | null;
  outcome: AuditOutcome;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Fields covered by an event's hash, exactly as stored (details as its JSON text). */
export interface HashedFields {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resource: string;
  project: string | null;
  outcome: string;
  requestId: string | null;
  details: string;
  prevHash: string;
}

/** SHA-256 over the canonical JSON of every stored field but the hash itself. */
export function hashEvent(fields: HashedFields): string {
  return sha256Hex(canonicalJson({ v: 1, ...fields }));
}

/**
 * The hash of a stored row (with `prev_hash` as given, or overridden to re-link a row),
 * the one place that maps table columns to the hashed fields.
 */
export function hashRow(row: Omit<AuditEventTable, 'hash'>, prevHash: string = row.prev_hash): string {
  return hashEvent({
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    project: row.project,
    outcome: row.outcome,
    requestId: row.request_id,
    details: row.details,
    prevHash,
  });
}

/** What the platform key signs for the chain head. */
export function headMessage(seq: number, hash: string): string {
  return `falaj-audit-head:v1:${seq}:${hash}`;
}
