declare module '../../storage/metadata/db.js' {
  interface Db {
    audit_events: AuditEventTable;
    audit_head: AuditHeadTable;
  }
}

export interface AuditEventTable {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resource: string;
  project: string | null;
  outcome: string;
  request_id: string | null;
  /** canonical JSON, hashed as stored */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  signature: string;
  key_id: string;
  updated_at: string;
}
