import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker } from '../../../src/storage/stream/index.js';
import { createRedisStreamsBroker } from '../../../src/storage/stream/redis-streams-broker.js';
import { engineUrl } from '../../helpers/engines.js';
import { streamConformance } from './conformance.js';

const redisUrl = engineUrl('redis');

describe.skipIf(!redisUrl)('redis streams broker', () => {
  const url = redisUrl!;
  // One prefix for the whole file: its keys are removed at the end.
  const keyPrefix = `falaj-test-${randomUUID()}`;
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(url, { lazyConnect: true });
  });
  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await admin.quit();
  });

  streamConformance('redis', ({ ackWaitMs }) => createRedisStreamsBroker({ url, keyPrefix, ackWaitMs }));

  it('createBroker picks Redis Streams, keeping bytes in the `data` field of <prefix>:@stream:<subject>', async () => {
    const broker = await createBroker(url, { keyPrefix });
    expect(broker.kind).toBe('redis');
    await broker.publish('falaj.layout', new Uint8Array([1, 2, 3]));
    const entries = await admin.xrangeBuffer(`${keyPrefix}:@stream:falaj.layout`, '-', '+');
    expect(entries).toHaveLength(1);
    expect(entries[0]![1].map((b) => b.toString('hex'))).toEqual([Buffer.from('data').toString('hex'), '010203']);
    await broker.close();
  });

  it('forgets a cleanly closed consumer, but keeps one holding messages so they can be claimed', async () => {
    const broker = await createRedisStreamsBroker({ url, keyPrefix, ackWaitMs: 1000 });
    const key = `${keyPrefix}:@stream:falaj.tidy`;
    const idle = await broker.consumer({ stream: 'tidy', subject: 'falaj.tidy', group: 'g', consumer: 'idle' });
    const holding = await broker.consumer({ stream: 'tidy', subject: 'falaj.tidy', group: 'g', consumer: 'holding' });
    await broker.publish('falaj.tidy', new Uint8Array([7]));
    expect(await holding.fetch(10, 1000)).toHaveLength(1);
    await idle.fetch(10, 0);
    await idle.close();
    await holding.close();
    const consumers = (await admin.xinfo('CONSUMERS', key, 'g')) as unknown[][];
    expect(consumers.map((c) => c[1])).toEqual(['holding']);
    await broker.close();
  });
});
