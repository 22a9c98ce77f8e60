import type { StreamMessage } from '../../data/contracts.js';

/** One stream entry as RESP2 returns it through `callBuffer`: `[id, [field, value, …]]`, fields nil when deleted. */
type RawEntry = [id: Buffer, fields: Buffer[] | null];

const DATA_FIELD = 'data';
const EMPTY = new Uint8Array(0);

/** An entry id, `<ms>-<seq>`, as Redis Streams writes it. */
export const REDIS_ENTRY_ID = /^\d+-\d+$/;

/**
 * Turns raw entries into messages. The body is the `data` field; an entry written by
 * another tool without one gets empty bytes (so ingestion quarantines it rather than
 * stalling on it). Entries whose body was deleted while pending are left out and their
 * ids returned in `gone`.
 */
export function toStreamMessages(entries: readonly RawEntry[], deliveries: (id: string) => number | null): { messages: StreamMessage[]; gone: string[] } {
  const messages: StreamMessage[] = [];
  const gone: string[] = [];
  for (const [rawId, fields] of entries) {
    const id = rawId.toString();
    if (fields === null) {
      gone.push(id);
      continue;
    }
    let data: Uint8Array = EMPTY;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]!.toString() === DATA_FIELD) {
        data = fields[i + 1]!;
        break;
      }
    }
    messages.push({ id, data, publishedAt: Number(id.slice(0, id.indexOf('-'))), deliveries: deliveries(id) });
  }
  return { messages, gone };
}

/** The entries of an XREADGROUP reply for one key (`null` when it timed out). */
export function readGroupEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const [, entries] = reply[0] as [Buffer, RawEntry[]];
  return entries;
}

/** An XAUTOCLAIM reply: the cursor to continue from, the claimed entries, and (Redis 7) ids it dropped as deleted. */
export function autoClaimReply(reply: unknown): { cursor: string; entries: RawEntry[] } {
  const [cursor, entries] = reply as [Buffer, RawEntry[], Buffer[]?];
  return { cursor: cursor.toString(), entries };
}

/** The `lag` of `group` in an XINFO GROUPS reply (flat field/value arrays), or null when Redis cannot tell. */
export function groupLag(reply: unknown, group: string): number | null {
  if (!Array.isArray(reply)) return null;
  for (const info of reply as unknown[][]) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < info.length; i += 2) fields.set(String(info[i]), info[i + 1]);
    if (String(fields.get('name')) !== group) continue;
    // `lag` exists from Redis 7.0, and is nil when entries were deleted in a way it cannot count.
    const lag = fields.get('lag');
    return typeof lag === 'number' ? lag : null;
  }
  return null;
}
