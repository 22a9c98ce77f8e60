import type { Redis } from 'ioredis';
import type { StreamConsumer, StreamMessage } from '../../data/contracts.js';
import { InputError } from '../../core/errors/index.js';
import { assertFetchArgs } from './fetch-args.js';
import { autoClaimReply, groupLag, readGroupEntries, REDIS_ENTRY_ID, toStreamMessages } from './redis-stream-replies.js';

/** What a Redis consumer needs from its broker. */
export interface RedisStreamConsumerParts {
  /** the shared connection, for commands that answer at once */
  client: Redis;
  /** this consumer's own connection, for XREADGROUP … BLOCK (it holds the connection while it waits) */
  blocking: Redis;
  key: string;
  group: string;
  consumer: string;
  ackWaitMs: number;
  /** maps a driver error to a FalajError */
  failure: (err: unknown) => Error;
}

/** Deletes consumer ARGV[2] of group ARGV[1] on stream KEYS[1] only when it has no pending message. */
const DELETE_IF_IDLE = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1`;

/** Most ids in one XACK: keeps a single command's size bounded. */
const ACK_CHUNK = 1000;

/**
 * A {@link StreamConsumer} over a Redis consumer group. `fetch` first claims, with
 * XAUTOCLAIM, messages that some consumer of the group (a crashed replica, or this one)
 * has held un-acked for longer than the ack wait, then reads new ones with XREADGROUP
 * (blocking up to `waitMs` only when it claimed nothing). Claimed messages carry the
 * delivery count from XPENDING; new ones are on their first delivery.
 */
export function redisStreamConsumer(parts: RedisStreamConsumerParts): StreamConsumer {
  const { client, blocking, key, group, consumer, ackWaitMs, failure } = parts;
  // XAUTOCLAIM walks the pending list from a cursor; '0-0' means "from the start".
  let cursor = '0-0';
  let lastSweep = 0;
  // Sweeping on every fetch would double the round trips; a quarter of the ack wait keeps
  // a stranded message's extra delay small.
  const sweepEveryMs = Math.max(ackWaitMs / 4, 50);
  let closed = false;

  function assertOpen(): void {
    if (closed) throw failure(new Error('the consumer is closed'));
  }

  async function reclaim(max: number): Promise<StreamMessage[]> {
    const now = Date.now();
    if (cursor === '0-0' && now - lastSweep < sweepEveryMs) return [];
    lastSweep = now;
    const claimed = autoClaimReply(await client.callBuffer('XAUTOCLAIM', [key, group, consumer, ackWaitMs, cursor, 'COUNT', max]));
    cursor = claimed.cursor;
    if (claimed.entries.length === 0) return [];
    const pipeline = client.pipeline();
    for (const [id] of claimed.entries) pipeline.xpending(key, group, id, id, 1, consumer);
    const counts = new Map<string, number>();
    for (const [err, rows] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const row = (rows as Array<[string, string, number, number]>)[0];
      if (row) counts.set(row[0], row[3]);
    }
    const { messages, gone } = toStreamMessages(claimed.entries, (id) => counts.get(id) ?? null);
    // Redis 6.2 returns entries deleted while pending with nil fields: drop them from the group.
    if (gone.length > 0) await client.xack(key, group, ...gone);
    return messages;
  }

  return {
    async fetch(max: number, waitMs: number): Promise<StreamMessage[]> {
      assertFetchArgs(max, waitMs);
      assertOpen();
      try {
        const out = await reclaim(max);
        if (out.length >= max) return out;
        const args: Array<string | number> = ['GROUP', group, consumer, 'COUNT', max - out.length];
        // BLOCK 0 would wait for ever; with claimed messages in hand, do not wait at all.
        if (out.length === 0 && waitMs >= 1) args.push('BLOCK', Math.round(waitMs));
        args.push('STREAMS', key, '>');
        const entries = readGroupEntries(await blocking.callBuffer('XREADGROUP', args));
        out.push(...toStreamMessages(entries, () => 1).messages);
        return out;
      } catch (err) {
        // close() during a blocking read ends it: nothing was lost (a read that raced it is
        // pending in the group and will be claimed), so report an empty batch.
        if (closed) return [];
        throw failure(err);
      }
    },

    async ack(messages: readonly StreamMessage[]): Promise<void> {
      assertOpen();
      if (messages.length === 0) return;
      const ids = messages.map((m) => m.id);
      const bad = ids.find((id) => !REDIS_ENTRY_ID.test(id));
      if (bad !== undefined) throw new InputError('FALAJ_STREAM_CONFIG_INVALID', `stream ack: ${JSON.stringify(bad)} is not a Redis stream entry id.`);
      const pipeline = client.pipeline();
      for (let i = 0; i < ids.length; i += ACK_CHUNK) pipeline.xack(key, group, ...ids.slice(i, i + ACK_CHUNK));
      let results: Array<[Error | null, unknown]> | null;
      try {
        results = await pipeline.exec();
      } catch (err) {
        throw failure(err);
      }
      for (const [err] of results ?? []) if (err) throw failure(err);
    },

    async lag(): Promise<number | null> {
      assertOpen();
      try {
        return groupLag(await client.xinfo('GROUPS', key), group);
      } catch (err) {
        throw failure(err);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      blocking.disconnect();
      try {
        // Tidy the group: a consumer with nothing pending can go without losing anything.
        // One holding messages stays, so another replica can claim them after the ack wait.
        // Atomic, so a message delivered to a namesake in between is never dropped with it.
        await client.eval(DELETE_IF_IDLE, 1, key, group, consumer);
      } catch {
        // Best effort: an idle consumer name in the group harms nothing.
      }
    },
  };
}
