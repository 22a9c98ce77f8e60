import type { Redis, RedisOptions } from 'ioredis';
import { redactUrl } from '../../core/config/index.js';
import type { StreamBroker, StreamConsumer } from '../../data/contracts.js';
import { redisStreamConsumer } from './redis-stream-consumer.js';
import { invalidStreamSettings, streamUnavailable } from './stream-errors.js';
import { assertStreamConsumerOptions, assertStreamSubject, type StreamConsumerOptions } from './stream-names.js';
import { resolveStreamBrokerOptions, type StreamBrokerOptions } from './stream-options.js';
import { trackedConsumer } from './tracked-consumer.js';

/** Options of {@link createRedisStreamsBroker}. */
export interface RedisStreamsBrokerOptions extends StreamBrokerOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** First part of every stream key: `<keyPrefix>:@stream:<subject>`. Default `falaj`. */
  keyPrefix?: string;
}

/**
 * A {@link StreamBroker} over Redis Streams (Redis 6.2 or later; 7 for `lag`).
 *
 * Redis has no subjects, so each subject is one stream, key `<keyPrefix>:@stream:<subject>`
 * (the `@` keeps it apart from the online store's `<keyPrefix>:<project>:…` keys, whose
 * project names cannot start with it); the contract's `stream` only names the source, as
 * on Kafka. `publish` is `XADD key * data <bytes>`. `consumer()` creates the group with
 * `XGROUP CREATE … 0 MKSTREAM`: a new group starts at the beginning of the stream, so
 * messages published before the first replica started are not skipped. `consumer` is the
 * Redis consumer name: give each replica its own.
 *
 * Single Redis (or a primary with replicas); each consumer holds one extra connection for
 * its blocking reads.
 *
 * @example
 * ```ts
 * const broker = await createRedisStreamsBroker({ url: 'redis://127.0.0.1:6379' });
 * const orders = await broker.consumer({ stream: 'orders', subject: 'orders.created', group: 'ingest', consumer: 'pod-1' });
 * ```
 */
export async function createRedisStreamsBroker(options: RedisStreamsBrokerOptions): Promise<StreamBroker> {
  // Loaded here so that a set-up without Redis never loads ioredis.
  const { Redis: RedisClient } = await import('ioredis');
  const settings = resolveStreamBrokerOptions(options);
  const keyPrefix = options.keyPrefix ?? 'falaj';
  const location = `redis ${redactUrl(options.url)}`;
  let lastError: Error | undefined;
  const consumers = new Set<StreamConsumer>();

  const connectionOptions: RedisOptions = {
    lazyConnect: true,
    // Fail fast rather than queue: an ingestion loop must see the outage and back off.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: settings.connectTimeoutMs,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  };
  const client: Redis = new RedisClient(options.url, { ...connectionOptions, commandTimeout: settings.requestTimeoutMs, connectionName: 'falaj-stream' });
  // Without a listener ioredis prints every reconnect failure; keep the last one for messages.
  client.on('error', (err: Error) => {
    lastError = err;
  });
  await connectOrFail(client);

  async function connectOrFail(connection: Redis): Promise<void> {
    try {
      await connection.connect();
    } catch (err) {
      connection.disconnect();
      throw streamUnavailable(location, lastError ?? err);
    }
  }

  /** Maps a client or server error to a FalajError, naming the last connection error when not connected. */
  function failure(err: unknown): Error {
    if (client.status === 'end') return streamUnavailable(location, new Error('the broker is closed'));
    if (client.status !== 'ready') {
      return streamUnavailable(location, new Error(`not connected (${client.status}${lastError ? `: ${lastError.message}` : ''})`));
    }
    return streamUnavailable(location, err);
  }

  const keyOf = (subject: string) => `${keyPrefix}:@stream:${subject}`;

  return {
    kind: 'redis',

    async consumer(consumerOptions: StreamConsumerOptions): Promise<StreamConsumer> {
      assertStreamConsumerOptions(consumerOptions);
      const key = keyOf(consumerOptions.subject);
      try {
        await client.xgroup('CREATE', key, consumerOptions.group, '0', 'MKSTREAM');
      } catch (err) {
        const message = err instanceof Error ? err.message : '';
        if (message.startsWith('WRONGTYPE')) throw invalidStreamSettings('subject', consumerOptions.subject, `Redis key ${key} holds something other than a stream`);
        // BUSYGROUP: another replica (or an earlier run) created it; that is the point of a durable group.
        if (!message.startsWith('BUSYGROUP')) throw failure(err);
      }
      // Blocking reads need their own connection: no command timeout (BLOCK bounds the wait,
      // and ioredis' blockingTimeout guards against a dead socket beyond it).
      const blocking: Redis = new RedisClient(options.url, {
        ...connectionOptions,
        blockingTimeout: settings.requestTimeoutMs,
        blockingTimeoutGrace: settings.requestTimeoutMs,
        connectionName: `falaj-stream-${consumerOptions.consumer}`,
      });
      blocking.on('error', (err: Error) => {
        lastError = err;
      });
      await connectOrFail(blocking);
      const consumer = redisStreamConsumer({
        client,
        blocking,
        key,
        group: consumerOptions.group,
        consumer: consumerOptions.consumer,
        ackWaitMs: settings.ackWaitMs,
        failure,
      });
      return trackedConsumer(consumers, consumer);
    },

    async publish(subject: string, data: Uint8Array): Promise<void> {
      assertStreamSubject(subject);
      try {
        await client.xadd(keyOf(subject), '*', 'data', Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      } catch (err) {
        throw failure(err);
      }
    },

    async close(): Promise<void> {
      for (const consumer of [...consumers]) await consumer.close();
      consumers.clear();
      if (client.status === 'end') return;
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}
