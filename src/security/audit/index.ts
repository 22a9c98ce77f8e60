export { AuditLog, type AuditVerification } from './audit-log.js';
export type { AuditEntry, AuditEvent, AuditOutcome } from './audit-event.js';
export type { AuditQuery } from './audit.repository.js';
