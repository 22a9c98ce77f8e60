import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { ConfigError } from '../../core/errors/index.js';
import type { StreamBroker, StreamConsumer } from '../../data/contracts.js';
import { parseBrokerUrl } from './broker-url.js';
import { kafkaPullConsumer } from './kafka-pull-consumer.js';
import { streamUnavailable } from './stream-errors.js';
import { assertStreamConsumerOptions, assertStreamSubject, type StreamConsumerOptions } from './stream-names.js';
import { resolveStreamBrokerOptions, type StreamBrokerOptions } from './stream-options.js';
import { trackedConsumer } from './tracked-consumer.js';

/** Options of {@link createKafkaBroker}. */
export interface KafkaBrokerOptions extends StreamBrokerOptions {
  /** `kafka://host:port[,host:port…]` (port 9092 by default); no TLS or SASL yet. */
  url: string;
  /** Partitions of a topic this broker creates. Default: the cluster's `num.partitions`. */
  partitions?: number;
  /** Queued messages per consumer at which it pauses fetching. Default 10 000. */
  highWater?: number;
}

/**
 * A {@link StreamBroker} over Kafka (kafkajs). The topic is `subject`, created when missing;
 * the consumer group is `group`; `stream` only names the source and `consumer` the replica.
 * `publish` also creates its topic when missing (checked once per topic).
 * A new group starts at the beginning of the topic. Message ids are `topic/partition/offset`;
 * order holds within a partition. `ackWaitMs` does not apply: Kafka hands un-acked messages
 * out again only after a rebalance or restart (see {@link kafkaPullConsumer}).
 *
 * Resolves once an admin connection to the cluster works; rejects with
 * `FALAJ_STREAM_UNAVAILABLE` otherwise.
 *
 * @example
 * ```ts
 * const broker = await createKafkaBroker({ url: 'kafka://k1:9092,k2:9092' });
 * ```
 */
export async function createKafkaBroker(options: KafkaBrokerOptions): Promise<StreamBroker> {
  const settings = resolveStreamBrokerOptions(options);
  const url = parseBrokerUrl(options.url, 9092);
  if (url.username !== undefined) {
    throw new ConfigError('FALAJ_STREAM_CONFIG_INVALID', `stream broker ${url.location}: Kafka credentials in the URL are not supported yet; use a listener without SASL.`);
  }
  const partitions = options.partitions;
  if (partitions !== undefined && (!Number.isSafeInteger(partitions) || partitions < 1)) {
    throw new ConfigError('FALAJ_STREAM_CONFIG_INVALID', `stream broker: partitions must be a whole number of at least 1, not ${JSON.stringify(partitions)}.`);
  }
  const location = url.location;
  const kafka = new Kafka({
    clientId: 'falaj-stream',
    brokers: url.addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`),
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: Math.max(settings.requestTimeoutMs, 1000),
    // A few quick retries: an unreachable cluster should fail start-up in seconds, not minutes.
    retry: { retries: 3, initialRetryTime: 200 },
    // kafkajs logs to the console, past Falaj's logger; what matters reaches the caller as
    // FALAJ_STREAM_UNAVAILABLE instead (connect, create, send, commit, a consumer crash).
    logLevel: logLevel.NOTHING,
  });
  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw streamUnavailable(location, err);
  }
  let producer: Promise<Producer> | undefined;
  const consumers = new Set<StreamConsumer>();
  // Topics known to exist, so a publish checks only once.
  const topics = new Set<string>();
  let closed = false;

  /** Creates the topic when missing (createTopics answers false when it exists). */
  async function ensureTopic(topic: string): Promise<void> {
    if (closed) throw streamUnavailable(location, new Error('the broker is closed'));
    if (topics.has(topic)) return;
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [partitions === undefined ? { topic } : { topic, numPartitions: partitions }] });
    } catch (err) {
      throw streamUnavailable(location, err);
    }
    topics.add(topic);
  }

  return {
    kind: 'kafka',

    async consumer(consumerOptions: StreamConsumerOptions): Promise<StreamConsumer> {
      assertStreamConsumerOptions(consumerOptions);
      const topic = consumerOptions.subject;
      await ensureTopic(topic);
      const consumer = await kafkaPullConsumer({
        consumer: kafka.consumer({ groupId: consumerOptions.group, allowAutoTopicCreation: false }),
        admin,
        topic,
        group: consumerOptions.group,
        location,
        highWater: options.highWater ?? 10_000,
      });
      return trackedConsumer(consumers, consumer);
    },

    async publish(subject: string, data: Uint8Array): Promise<void> {
      assertStreamSubject(subject);
      await ensureTopic(subject);
      try {
        producer ??= connectProducer();
        await (await producer).send({ topic: subject, messages: [{ value: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }] });
      } catch (err) {
        throw streamUnavailable(location, err);
      }
    },

    async close(): Promise<void> {
      closed = true;
      for (const consumer of [...consumers]) await consumer.close();
      consumers.clear();
      const opened = producer;
      producer = undefined;
      await Promise.all([opened?.then((p) => p.disconnect()).catch(() => undefined), admin.disconnect().catch(() => undefined)]);
    },
  };

  async function connectProducer(): Promise<Producer> {
    // Named explicitly: kafkajs warns at every producer otherwise (its default changed in 2.0).
    const created = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    try {
      await created.connect();
      return created;
    } catch (err) {
      producer = undefined; // try again on the next publish
      throw err;
    }
  }
}
