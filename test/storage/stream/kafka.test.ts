import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createBroker } from '../../../src/storage/stream/index.js';
import { createKafkaBroker } from '../../../src/storage/stream/kafka-broker.js';
import { streamConformance } from './conformance.js';

// The one engine whose suite is skipped even in CI (CI=true), unlike engineUrl()'s rule:
// no Kafka broker can be installed in this project's CI or development containers. It runs
// wherever FALAJ_TEST_KAFKA_BROKERS is set (`host:port[,host:port]` or `kafka://…`).
const configured = process.env.FALAJ_TEST_KAFKA_BROKERS;
const kafkaUrl = configured ? (configured.includes('://') ? configured : `kafka://${configured}`) : undefined;
if (!kafkaUrl) console.warn('skipping kafka suites: set FALAJ_TEST_KAFKA_BROKERS=host:port[,host:port] to run them');

describe.skipIf(!kafkaUrl)('kafka broker', () => {
  const url = kafkaUrl!;

  streamConformance('kafka', ({ ackWaitMs }) => createKafkaBroker({ url, ackWaitMs, partitions: 2 }), {
    skips: {
      'redelivers an un-acked message after the ack wait, and never an acked one':
        'Kafka has no per-message ack timer; un-acked messages return after a rebalance or restart (the crash test covers that)',
    },
    orderScope: (m) => m.id.split('/')[1]!,
    // Kafka shares partitions, not messages: one consumer may own every partition with data.
    sharesEveryFetch: false,
    async cleanup(used) {
      const admin = new Kafka({ brokers: url.replace(/^kafka:\/\//, '').split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: used.map((u) => u.subject) }).catch(() => undefined);
      await admin.disconnect();
    },
  });

  it('createBroker picks Kafka for kafka:// URLs', async () => {
    const broker = await createBroker(url);
    expect(broker.kind).toBe('kafka');
    await broker.close();
  });
});
