import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { StreamConsumer, StreamMessage } from '../../data/contracts.js';
import { assertFetchArgs } from './fetch-args.js';
import { HEARTBEAT_MS, startStandingPull, type StandingPull } from './nats-standing-pull.js';
import { streamUnavailable } from './stream-errors.js';

/** What a JetStream consumer needs from its broker besides the consumer itself. */
export interface NatsConsumerParts {
  location: string;
  ackWaitMs: number;
  requestTimeoutMs: number;
  /** a round trip to the server: tells a quiet subscription from a lost connection */
  ping: () => Promise<unknown>;
}

/**
 * A {@link StreamConsumer} over a JetStream durable pull consumer. The message id is the
 * stream sequence; `deliveries` is JetStream's delivery count.
 *
 * The first `fetch` starts a standing pull subscription (JetStream's `consume()`), which
 * keeps a pull request open on the server and renews it itself, so a message published at
 * any moment is on its way at once. It prefetches up to the first fetch's `max` messages
 * (at most 10,000) into a queue; `fetch(max, waitMs)` answers at once with up to `max`
 * queued messages, or waits up to `waitMs` for the first arrival and answers with what is
 * queued then, or `[]`. Queued messages are delivered ones: their ack wait runs while they
 * wait, so the queue is kept small, and one held past half the ack wait is skipped (the
 * server hands it out again) rather than processed twice. Replicas sharing the group each
 * hold their own subscription; JetStream splits the messages between them. `lag()` counts
 * the messages not yet delivered, so it leaves out those queued here.
 *
 * Errors are `FALAJ_STREAM_UNAVAILABLE`: from `fetch` when the subscription ended (the
 * connection closed, the stream or group deleted; the next fetch starts a new one), and from
 * an empty `fetch` when the server has sent nothing, not even a heartbeat (every 2.5 s on an
 * idle pull), for two heartbeat intervals and does not answer a ping either: a lost
 * connection surfaces within a few seconds instead of reading as an empty stream.
 *
 * `ack` uses JetStream's double ack (`ackAck`): it resolves only once the server has
 * recorded the acks, so an acked message is never handed out again, even if the connection
 * drops right after. It costs a round trip, sent for the whole batch at once.
 *
 * `close()` ends the subscription; delivered, un-acked messages (fetched or still queued)
 * return after the ack wait, to any replica of the group.
 */
export function natsStreamConsumer(consumer: Consumer, parts: NatsConsumerParts): StreamConsumer {
  const { location, ackWaitMs, requestTimeoutMs, ping } = parts;
  // Delivered, un-acked messages by id: an ack needs the delivery's reply subject.
  const delivered = new Map<string, { msg: JsMsg; at: number }>();
  let pulling: Promise<StandingPull> | undefined;
  let closed = false;

  function assertOpen(): void {
    if (closed) throw streamUnavailable(location, new Error('the consumer is closed'));
  }

  /** Forgets deliveries so old that JetStream has handed them out again (maybe elsewhere). */
  function forgetStale(now: number): void {
    for (const [id, entry] of delivered) if (now - entry.at > 2 * ackWaitMs) delivered.delete(id);
  }

  function subscription(prefetch: number): Promise<StandingPull> {
    pulling ??= startStandingPull(consumer, { prefetch, ackWaitMs }).catch((err: unknown) => {
      pulling = undefined;
      throw streamUnavailable(location, err);
    });
    return pulling;
  }

  /** After an empty fetch: throws when the subscription ended or the server cannot be reached. */
  async function assertAlive(pull: StandingPull): Promise<void> {
    const ended = pull.ended();
    if (ended) {
      // the next fetch starts a new subscription
      pulling = undefined;
      await pull.stop();
      throw streamUnavailable(location, ended.reason);
    }
    if (pull.quietFor(Date.now()) <= 2 * HEARTBEAT_MS) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not answer a ping')), requestTimeoutMs);
    });
    try {
      await Promise.race([ping(), timeout]);
      // Connected: an idle pull the server dropped is renewed by the library itself.
      pull.heard();
    } catch (err) {
      throw streamUnavailable(location, err);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async fetch(max: number, waitMs: number): Promise<StreamMessage[]> {
      assertFetchArgs(max, waitMs);
      assertOpen();
      const pull = await subscription(max);
      const deadline = Date.now() + waitMs;
      let got = pull.take(max);
      while (got.length === 0 && !pull.ended() && (await pull.arrival(deadline - Date.now()))) {
        // One network read carries many messages: let the rest of it reach the queue.
        await new Promise((resolve) => setImmediate(resolve));
        got = pull.take(max);
      }
      if (got.length === 0) await assertAlive(pull);
      const now = Date.now();
      forgetStale(now);
      return got.map((msg) => {
        const id = String(msg.seq);
        delivered.set(id, { msg, at: now });
        return { id, data: msg.data, publishedAt: msg.time.getTime(), deliveries: msg.info.deliveryCount };
      });
    },

    async ack(messages: readonly StreamMessage[]): Promise<void> {
      assertOpen();
      // A message not in `delivered` was acked already, or delivered through another
      // consumer object: nothing to do, JetStream will hand it out again if it is pending.
      const entries = messages.flatMap((m) => {
        const entry = delivered.get(m.id);
        return entry ? [[m.id, entry.msg] as const] : [];
      });
      try {
        await Promise.all(entries.map(([, msg]) => msg.ackAck({ timeout: requestTimeoutMs })));
      } catch (err) {
        throw streamUnavailable(location, err);
      }
      for (const [id] of entries) delivered.delete(id);
    },

    async lag(): Promise<number | null> {
      assertOpen();
      try {
        return (await consumer.info()).num_pending;
      } catch (err) {
        throw streamUnavailable(location, err);
      }
    },

    async close(): Promise<void> {
      closed = true;
      delivered.clear();
      const pull = await pulling?.catch(() => undefined);
      pulling = undefined;
      await pull?.stop();
    },
  };
}
