import { JetStreamError, type Consumer, type JsMsg } from '@nats-io/jetstream';
import type { StreamConsumer, StreamMessage } from '../../data/contracts.js';
import { assertFetchArgs } from './fetch-args.js';
import { streamUnavailable } from './stream-errors.js';

/**
 * The shortest pull. The client refuses `expires` below 1 s and heartbeats below 0.5 s,
 * the server refuses heartbeats above half of `expires`; so at 1 s the client's "two heartbeats
 * missed" check fires at the very moment the server ends the pull, and when it wins the
 * client drops the pull while the server may still send it a message (which then waits
 * out the ack wait). From 2 s, heartbeats at a quarter of the pull leave a clear margin.
 */
const MIN_PULL_MS = 2000;

/** A pull of `expires` ms, heartbeating every quarter of it (within the client's limits). */
function pull(expires: number): { expires: number; idle_heartbeat: number } {
  return { expires, idle_heartbeat: Math.min(Math.max(expires / 4, 500), 30_000) };
}

/** What a JetStream consumer needs from its broker besides the consumer itself. */
export interface NatsConsumerParts {
  location: string;
  ackWaitMs: number;
  requestTimeoutMs: number;
  /** a round trip to the server: tells a pull that merely expired from a lost connection */
  ping: () => Promise<unknown>;
}

/**
 * A {@link StreamConsumer} over a JetStream durable pull consumer. The message id is the
 * stream sequence; `deliveries` is JetStream's delivery count.
 *
 * `fetch` pulls one message (waiting up to `waitMs`, at least 2 s), then as many more as
 * the server said were waiting, so it answers as soon as there is anything rather than
 * holding a half-full batch until the pull expires.
 *
 * `ack` uses JetStream's double ack (`ackAck`): it resolves only once the server has
 * recorded the acks, so an acked message is never handed out again, even if the connection
 * drops right after. It costs a round trip, sent for the whole batch at once.
 */
export function natsStreamConsumer(consumer: Consumer, parts: NatsConsumerParts): StreamConsumer {
  const { location, ackWaitMs, requestTimeoutMs, ping } = parts;
  // Delivered, un-acked messages by id: an ack needs the delivery's reply subject.
  const delivered = new Map<string, { msg: JsMsg; at: number }>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw streamUnavailable(location, new Error('the consumer is closed'));
  }

  /** Forgets deliveries so old that JetStream has handed them out again (maybe elsewhere). */
  function forgetStale(now: number): void {
    for (const [id, entry] of delivered) if (now - entry.at > 2 * ackWaitMs) delivered.delete(id);
  }

  /**
   * A pull normally ends with the server's "request timeout"; a client "heartbeats missed"
   * (two heartbeat intervals without traffic, see MIN_PULL_MS) is only an empty pull if the
   * connection still answers, and an outage otherwise.
   */
  async function expiredQuietly(err: unknown): Promise<boolean> {
    if (!(err instanceof JetStreamError) || err.message !== 'heartbeats missed') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ping timed out')), requestTimeoutMs);
    });
    try {
      await Promise.race([ping(), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async fetch(max: number, waitMs: number): Promise<StreamMessage[]> {
      assertFetchArgs(max, waitMs);
      assertOpen();
      const pulled: JsMsg[] = [];
      try {
        // next() would do, but its options type has no heartbeat setting.
        for await (const msg of await consumer.fetch({ max_messages: 1, ...pull(Math.max(waitMs, MIN_PULL_MS)) })) pulled.push(msg);
        const first = pulled[0];
        if (first !== undefined) {
          // `pending` counts messages not yet delivered to the group when `first` left the
          // server: those arrive at once, unless another replica takes them first, in which
          // case the pull ends after MIN_PULL_MS.
          const more = Math.min(max - 1, first.info.pending);
          if (more > 0) for await (const msg of await consumer.fetch({ max_messages: more, ...pull(MIN_PULL_MS) })) pulled.push(msg);
        }
      } catch (err) {
        // Keep what arrived: those are delivered, and would otherwise wait out the ack wait.
        if (pulled.length === 0 && !(await expiredQuietly(err))) throw streamUnavailable(location, err);
      }
      const now = Date.now();
      forgetStale(now);
      return pulled.map((msg) => {
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
      // Un-acked messages stay pending on the server and come back after the ack wait.
      closed = true;
      delivered.clear();
    },
  };
}
