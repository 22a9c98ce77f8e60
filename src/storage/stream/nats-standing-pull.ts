import type { Consumer, JsMsg } from '@nats-io/jetstream';

/**
 * How long each pull request of the subscription lasts. The library sends the next one as
 * a pull fills (and re-pulls after missed heartbeats), on the same inbox, so a message the
 * server sends to a pull that just expired is still received: the choice only sets how
 * often requests are renewed on an idle stream.
 */
const PULL_EXPIRES_MS = 10_000;
/** Server heartbeats on an idle pull. The library's limits: 0.5 s to half of `expires`. */
export const HEARTBEAT_MS = 2_500;
/** The largest prefetch, whatever `fetch`'s `max`: buffered messages are delivered ones, on the ack-wait clock. */
const MAX_PREFETCH = 10_000;

/** A JetStream `consume()` subscription pouring into a bounded queue that `fetch` drains. */
export interface StandingPull {
  /** Up to `max` queued messages, oldest first, less any held so long the server will have handed them out again. */
  take(max: number): JsMsg[];
  /** Resolves true once a message is queued or the subscription ended, false after `ms` otherwise. */
  arrival(ms: number): Promise<boolean>;
  /** Why the subscription ended (`undefined` while it runs): nothing arrives after that. */
  ended(): { reason: unknown } | undefined;
  /** Milliseconds since the server last sent this subscription anything (a message or a heartbeat). */
  quietFor(now: number): number;
  /** Records that the server answered otherwise (a ping), resetting {@link quietFor}. */
  heard(): void;
  /** Ends the subscription and drops the queue: those messages return after the ack wait. */
  stop(): Promise<void>;
}

/**
 * Starts `consumer.consume()` with `prefetch` messages requested at a time (at most
 * MAX_PREFETCH). A loop moves what arrives into the queue and pauses while the queue holds
 * `prefetch` messages; the library sends its next pull only when the loop reaches it, so
 * the library's own buffer stays within one pull too, and the messages held here (delivered,
 * un-acked, their ack wait running) stay below about twice `prefetch`.
 */
export async function startStandingPull(consumer: Consumer, options: { prefetch: number; ackWaitMs: number }): Promise<StandingPull> {
  const prefetch = Math.min(Math.max(1, options.prefetch), MAX_PREFETCH);
  // Past half the ack wait a queued message may be handed out again before its batch is
  // acked (elsewhere, too): skip it and let the server redeliver it rather than process it twice.
  const staleMs = options.ackWaitMs / 2;
  const messages = await consumer.consume({
    max_messages: prefetch,
    expires: PULL_EXPIRES_MS,
    idle_heartbeat: HEARTBEAT_MS,
    // a deleted stream or group ends the subscription (fetch reports it) instead of retrying unseen
    abort_on_missing_resource: true,
  });
  const queue: { msg: JsMsg; at: number }[] = [];
  const waiters = new Set<() => void>();
  let resume: (() => void) | undefined;
  let stopping = false;
  let ended: { reason: unknown } | undefined;
  let lastHeard = Date.now();
  // While the loop pauses, arrivals wait in the library's buffer; until that is drained they
  // are stamped with the pause's start, so a long pause makes them look older, never younger.
  let pausedAt: number | undefined;

  const wake = () => {
    for (const waiter of waiters) waiter();
    waiters.clear();
  };

  const pump = (async () => {
    try {
      for await (const msg of messages) {
        lastHeard = Date.now();
        queue.push({ msg, at: pausedAt ?? lastHeard });
        if (messages.getPending() === 0) pausedAt = undefined;
        wake();
        if (queue.length >= prefetch && !stopping) pausedAt = Date.now();
        while (queue.length >= prefetch && !stopping) await new Promise<void>((r) => (resume = r));
        if (stopping) break;
      }
      // The iterator ends without an error when the connection is closed.
      ended = { reason: new Error(stopping ? 'the consumer is closed' : 'the connection is closed') };
    } catch (err) {
      ended = { reason: err };
    } finally {
      wake();
    }
  })();

  void (async () => {
    for await (const status of messages.status()) {
      // status messages the server sent (the rest are the client's own reports)
      if (status.type === 'heartbeat' || status.type === 'discard' || status.type === 'debug') lastHeard = Date.now();
    }
  })().catch(() => undefined);

  return {
    take(max) {
      const now = Date.now();
      const taken = queue.splice(0, Math.min(max, queue.length));
      if (queue.length < prefetch) resume?.();
      return taken.filter((entry) => now - entry.at <= staleMs).map((entry) => entry.msg);
    },

    arrival(ms) {
      if (queue.length > 0 || ended) return Promise.resolve(true);
      if (ms <= 0) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          resolve(false);
        }, ms);
        waiters.add(done);
      });
    },

    ended: () => ended,
    quietFor: (now) => now - lastHeard,
    heard: () => {
      lastHeard = Date.now();
    },

    async stop() {
      stopping = true;
      resume?.();
      messages.stop();
      await pump;
      queue.length = 0;
    },
  };
}
