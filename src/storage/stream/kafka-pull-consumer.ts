import type { Admin, Consumer, KafkaMessage } from 'kafkajs';
import type { StreamConsumer, StreamMessage } from '../../data/contracts.js';
import { InputError } from '../../core/errors/index.js';
import { assertFetchArgs } from './fetch-args.js';
import { KafkaOffsetTracker } from './kafka-offset-tracker.js';
import { streamUnavailable } from './stream-errors.js';

/** What the pull adapter needs: a kafkajs consumer (not yet connected) and an admin client. */
export interface KafkaPullConsumerParts {
  consumer: Consumer;
  admin: Admin;
  topic: string;
  group: string;
  location: string;
  /** queued messages at which the topic is paused; resumed below half of it */
  highWater: number;
}

interface Queued {
  partition: number;
  message: KafkaMessage;
}

const EMPTY = new Uint8Array(0);

/**
 * A pull-style {@link StreamConsumer} over kafkajs' push-style `eachBatch`. Batches go to an
 * internal queue that `fetch` drains (waiting up to `waitMs` when it is empty); past
 * `highWater` queued messages the topic is paused until `fetch` has taken half of them.
 *
 * Offsets are committed by hand, never automatically: an ack commits `offset + 1` of a
 * partition once every earlier message of that partition is acked (see
 * {@link KafkaOffsetTracker}). Kafka has no per-message redelivery: an un-acked message
 * comes back only when its partition is read again from the committed offset — after a
 * rebalance (a replica closed, crashed or joined) or a restart. After a rebalance the
 * queue is emptied and acks of messages handed out before it are ignored: those messages
 * arrive again (at-least-once).
 */
export async function kafkaPullConsumer(parts: KafkaPullConsumerParts): Promise<StreamConsumer> {
  const { consumer, admin, topic, group, location, highWater } = parts;
  const offsets = new KafkaOffsetTracker();
  let queue: Queued[] = [];
  // fetch calls waiting for the queue to fill
  const waiters = new Set<() => void>();
  let paused = false;
  let closed = false;
  let crashed: Error | undefined;
  // Commits run one after another, so a later (higher) offset never lands before an earlier one.
  let commits: Promise<unknown> = Promise.resolve();

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // A new generation reads every assigned partition again from its committed offset.
    queue = [];
    offsets.reset();
    resume();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) {
      crashed = event.payload.error;
      wakeAll();
    }
  });

  function wakeAll(): void {
    for (const wake of [...waiters]) wake();
  }

  function resume(): void {
    if (!paused) return;
    paused = false;
    consumer.resume([{ topic }]);
  }

  function assertUsable(): void {
    if (closed) throw streamUnavailable(location, new Error('the consumer is closed'));
    if (crashed) throw streamUnavailable(location, crashed);
  }

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // kafkajs resolves the batch's last offset after this returns, so its next fetch
      // moves on; what is committed is decided by acks alone.
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (offsets.received(batch.partition, BigInt(message.offset)) === 'restart') {
            queue = queue.filter((q) => q.partition !== batch.partition);
          }
          queue.push({ partition: batch.partition, message });
        }
        if (!paused && queue.length >= highWater) {
          paused = true;
          consumer.pause([{ topic }]);
        }
        wakeAll();
      },
    });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw streamUnavailable(location, err);
  }

  function toMessage({ partition, message }: Queued): StreamMessage {
    return {
      id: `${topic}/${partition}/${message.offset}`,
      data: message.value ?? EMPTY,
      publishedAt: Number(message.timestamp),
      deliveries: null,
    };
  }

  return {
    async fetch(max: number, waitMs: number): Promise<StreamMessage[]> {
      assertFetchArgs(max, waitMs);
      assertUsable();
      if (queue.length === 0 && waitMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, waitMs);
          function done(): void {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
        if (closed) return [];
        assertUsable();
      }
      const taken = queue.splice(0, max);
      if (queue.length <= highWater / 2) resume();
      return taken.map(toMessage);
    },

    async ack(messages: readonly StreamMessage[]): Promise<void> {
      assertUsable();
      const commitAt = new Map<number, bigint>();
      for (const { id } of messages) {
        const { partition, offset } = parseKafkaId(id, topic);
        const commit = offsets.acked(partition, offset);
        if (commit !== undefined) commitAt.set(partition, commit);
      }
      if (commitAt.size === 0) return;
      const request = [...commitAt].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() }));
      const commit = commits.then(() => consumer.commitOffsets(request));
      commits = commit.catch(() => undefined);
      try {
        await commit;
      } catch (err) {
        throw streamUnavailable(location, err);
      }
    },

    async lag(): Promise<number | null> {
      assertUsable();
      try {
        const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
        const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        let lag = 0n;
        for (const end of ends) {
          // '-1': nothing committed yet, so the group starts at the oldest retained offset.
          const from = done.get(end.partition) ?? -1n;
          const start = from < 0n ? BigInt(end.low) : from;
          if (BigInt(end.high) > start) lag += BigInt(end.high) - start;
        }
        return Number(lag);
      } catch (err) {
        throw streamUnavailable(location, err);
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      queue = [];
      wakeAll();
      // Leaves the group at once, so the partitions (and their un-acked messages) move to
      // the other replicas without waiting for the session to time out.
      await consumer.disconnect().catch(() => undefined);
    },
  };
}

/** Takes `topic/partition/offset` apart (topic names hold no '/'). */
function parseKafkaId(id: string, topic: string): { partition: number; offset: bigint } {
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(id);
  if (!match || match[1] !== topic) {
    throw new InputError('FALAJ_STREAM_CONFIG_INVALID', `stream ack: ${JSON.stringify(id)} is not a message id of topic ${topic}.`);
  }
  return { partition: Number(match[2]), offset: BigInt(match[3]!) };
}
