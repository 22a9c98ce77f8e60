import { jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { StreamBroker, StreamConsumer } from '../../data/contracts.js';
import { isFalajError } from '../../core/errors/index.js';
import { parseBrokerUrl } from './broker-url.js';
import { natsStreamConsumer } from './nats-consumer.js';
import { ensureNatsConsumer, ensureNatsStream } from './nats-setup.js';
import { streamUnavailable } from './stream-errors.js';
import { assertStreamConsumerOptions, assertStreamSubject, type StreamConsumerOptions } from './stream-names.js';
import { resolveStreamBrokerOptions, type StreamBrokerOptions } from './stream-options.js';

/** Options of {@link createNatsBroker}. */
export interface NatsBrokerOptions extends StreamBrokerOptions {
  /** `nats://[user:password@ | token@]host[:port][,host[:port]…]` (port 4222 by default). */
  url: string;
}

/**
 * A {@link StreamBroker} over NATS JetStream. `consumer()` creates the stream (named
 * `stream`, capturing `subject`, file storage, limits retention) and a durable pull consumer
 * named `group` when missing; `consumer` only names the replica. `publish` is a JetStream
 * publish, resolved once the stream has stored the message.
 *
 * Resolves once connected to a server with JetStream; rejects with
 * `FALAJ_STREAM_UNAVAILABLE` otherwise. The client reconnects in the background for ever.
 *
 * @example
 * ```ts
 * const broker = await createNatsBroker({ url: 'nats://127.0.0.1:4222' });
 * const orders = await broker.consumer({ stream: 'ORDERS', subject: 'orders.created', group: 'ingest', consumer: 'pod-1' });
 * const batch = await orders.fetch(500, 1000);
 * await orders.ack(batch);
 * ```
 */
export async function createNatsBroker(options: NatsBrokerOptions): Promise<StreamBroker> {
  const settings = resolveStreamBrokerOptions(options);
  const url = parseBrokerUrl(options.url, 4222);
  const location = url.location;
  const connectOptions: NodeConnectionOptions = {
    servers: url.addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`),
    timeout: settings.connectTimeoutMs,
    maxReconnectAttempts: -1,
    name: 'falaj-stream',
  };
  // nats://token@host carries a token; nats://user:password@host a user and password.
  if (url.username !== undefined && url.password === undefined) connectOptions.token = url.username;
  else if (url.username !== undefined) Object.assign(connectOptions, { user: url.username, pass: url.password });

  let nc: NatsConnection;
  let jsm: JetStreamManager;
  try {
    nc = await connect(connectOptions);
  } catch (err) {
    throw streamUnavailable(location, err);
  }
  try {
    // Checks JetStream is enabled for the account, so a plain NATS server fails here.
    jsm = await jetstreamManager(nc, { timeout: settings.requestTimeoutMs });
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw streamUnavailable(location, err);
  }
  const js: JetStreamClient = jsm.jetstream();

  return {
    kind: 'nats',

    async consumer(consumerOptions: StreamConsumerOptions): Promise<StreamConsumer> {
      assertStreamConsumerOptions(consumerOptions);
      try {
        await ensureNatsStream(jsm, consumerOptions.stream, consumerOptions.subject);
        await ensureNatsConsumer(jsm, consumerOptions, settings.ackWaitMs);
        const consumer = await js.consumers.get(consumerOptions.stream, consumerOptions.group);
        return natsStreamConsumer(consumer, { location, ackWaitMs: settings.ackWaitMs, requestTimeoutMs: settings.requestTimeoutMs, ping: () => nc.rtt() });
      } catch (err) {
        if (isFalajError(err)) throw err;
        throw streamUnavailable(location, err);
      }
    },

    async publish(subject: string, data: Uint8Array): Promise<void> {
      assertStreamSubject(subject);
      try {
        await js.publish(subject, data);
      } catch (err) {
        // "no responders": no stream captures the subject (no consumer() has created one yet).
        throw streamUnavailable(location, err);
      }
    },

    async close(): Promise<void> {
      if (nc.isClosed()) return;
      await nc.close();
    },
  };
}
