import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaPullConsumer } from '../../../src/storage/stream/kafka-pull-consumer.js';

/**
 * The pull adapter's own logic (queue, pausing, commit order, rebalances) against a
 * stand-in for kafkajs, since no Kafka broker runs here; kafka.test.ts runs the shared
 * suite against a real one where FALAJ_TEST_KAFKA_BROKERS is set.
 */
function fakeKafka() {
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const state = { commits: [] as Array<Array<{ partition: number; offset: string }>>, paused: false, disconnected: false };
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' },
    on: (event: string, listener: (event: { payload: unknown }) => void) => listeners.set(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    pause: () => {
      state.paused = true;
    },
    resume: () => {
      state.paused = false;
    },
    commitOffsets: async (list: Array<{ partition: number; offset: string }>) => {
      state.commits.push(list.map(({ partition, offset }) => ({ partition, offset })));
    },
    disconnect: async () => {
      state.disconnected = true;
    },
  };
  const admin = {
    fetchTopicOffsets: async () => [
      { partition: 0, offset: '10', high: '10', low: '0' },
      { partition: 1, offset: '7', high: '7', low: '2' },
    ],
    fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '4', metadata: null }, { partition: 1, offset: '-1', metadata: null }] }],
  };
  return {
    state,
    parts: { consumer: consumer as unknown as Consumer, admin: admin as unknown as Admin, topic: 't', group: 'g', location: 'kafka://fake:9092', highWater: 4 },
    /** Delivers one batch as kafkajs would. */
    batch: (partition: number, offsets: number[]) =>
      eachBatch!({
        batch: { topic: 't', partition, messages: offsets.map((o) => ({ offset: String(o), value: Buffer.from(`p${partition}o${o}`), timestamp: '1700000000000' })) },
      } as unknown as EachBatchPayload),
    emit: (event: string, payload: unknown) => listeners.get(event)?.({ payload }),
  };
}

describe('kafka pull consumer', () => {
  it('hands out batches in order and commits a partition only up to its first un-acked message', async () => {
    const kafka = fakeKafka();
    const consumer = await kafkaPullConsumer(kafka.parts);
    await kafka.batch(0, [0, 1, 2]);
    const got = await consumer.fetch(10, 0);
    expect(got.map((m) => m.id)).toEqual(['t/0/0', 't/0/1', 't/0/2']);
    expect(Buffer.from(got[1]!.data).toString()).toBe('p0o1');
    expect(got[0]).toMatchObject({ publishedAt: 1_700_000_000_000, deliveries: null });

    await consumer.ack([got[2]!, got[1]!]);
    expect(kafka.state.commits).toEqual([]);
    await consumer.ack([got[0]!]);
    expect(kafka.state.commits).toEqual([[{ partition: 0, offset: '3' }]]);
  });

  it('pauses the topic at the high-water mark and resumes once half is taken', async () => {
    const kafka = fakeKafka();
    const consumer = await kafkaPullConsumer(kafka.parts);
    await kafka.batch(0, [0, 1, 2, 3, 4]);
    expect(kafka.state.paused).toBe(true);
    await consumer.fetch(2, 0);
    expect(kafka.state.paused).toBe(true);
    await consumer.fetch(1, 0);
    expect(kafka.state.paused).toBe(false);
  });

  it('empties the queue on a rebalance and ignores acks of what it handed out before', async () => {
    const kafka = fakeKafka();
    const consumer = await kafkaPullConsumer(kafka.parts);
    await kafka.batch(0, [0, 1]);
    const before = await consumer.fetch(1, 0);
    kafka.emit('consumer.group_join', {});
    expect(await consumer.fetch(10, 0)).toEqual([]);
    await consumer.ack(before);
    expect(kafka.state.commits).toEqual([]);
  });

  it('waits up to waitMs for a batch, wakes when one comes, and close() ends a wait with []', async () => {
    const kafka = fakeKafka();
    const consumer = await kafkaPullConsumer(kafka.parts);
    const waiting = consumer.fetch(10, 60_000);
    await kafka.batch(1, [5]);
    expect((await waiting).map((m) => m.id)).toEqual(['t/1/5']);

    const ended = consumer.fetch(10, 60_000);
    await consumer.close();
    expect(await ended).toEqual([]);
    expect(kafka.state.disconnected).toBe(true);
    await consumer.close();
    await expect(consumer.fetch(1, 0)).rejects.toMatchObject({ code: 'FALAJ_STREAM_UNAVAILABLE' });
  });

  it('counts lag from the committed offsets, or the oldest retained one when none is committed', async () => {
    const consumer = await kafkaPullConsumer(fakeKafka().parts);
    expect(await consumer.lag()).toBe(10 - 4 + (7 - 2));
  });

  it('fails fetches once kafkajs gives up on the consumer, and refuses ids of another topic', async () => {
    const kafka = fakeKafka();
    const consumer = await kafkaPullConsumer(kafka.parts);
    await expect(consumer.ack([{ id: 'other/0/1', data: new Uint8Array(), publishedAt: null, deliveries: null }])).rejects.toMatchObject({
      code: 'FALAJ_STREAM_CONFIG_INVALID',
    });
    kafka.emit('consumer.crash', { error: new Error('gave up'), restart: false });
    await expect(consumer.fetch(1, 0)).rejects.toMatchObject({ code: 'FALAJ_STREAM_UNAVAILABLE' });
  });
});
