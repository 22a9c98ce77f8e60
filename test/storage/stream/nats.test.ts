import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createBroker, type StreamConsumer, type StreamMessage } from '../../../src/storage/stream/index.js';
import { createNatsBroker } from '../../../src/storage/stream/nats-broker.js';
import { subjectMatches } from '../../../src/storage/stream/nats-setup.js';
import { engineUrl } from '../../helpers/engines.js';
import { streamConformance } from './conformance.js';
import { startTcpProxy } from './tcp-proxy.js';

const natsUrl = engineUrl('nats');

describe.skipIf(!natsUrl)('nats jetstream broker', () => {
  const url = natsUrl!;

  streamConformance('nats', ({ ackWaitMs }) => createNatsBroker({ url, ackWaitMs }), {
    async cleanup(used) {
      const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
      const jsm = await jetstreamManager(nc);
      for (const { stream } of used) await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    },
  });

  it('createBroker picks NATS for nats:// URLs', async () => {
    const broker = await createBroker(url);
    expect(broker.kind).toBe('nats');
    await broker.close();
  });

  it('reports a lost connection from fetch instead of reading it as an empty stream, and reads again once it is back', async () => {
    const target = new URL(url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 4222) });
    const suffix = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const n = { stream: `outage_${suffix}`, subject: `falaj.outage.${suffix}`, group: 'g' };
    const direct = await createNatsBroker({ url, ackWaitMs: 1000 });
    const proxied = await createNatsBroker({ url: `nats://127.0.0.1:${proxy.port}`, ackWaitMs: 1000 });
    try {
      const consumer = await proxied.consumer({ ...n, consumer: 'c' });
      expect(await consumer.fetch(10, 200)).toEqual([]);
      let published = 0;
      // A connection that stays open but carries nothing, then one that is refused.
      for (const [breakIt, mendIt] of [
        [async () => proxy.freeze(), async () => proxy.thaw()],
        [() => proxy.cut(), () => proxy.restore()],
      ] as const) {
        await breakIt();
        await expect(fetchUntilError(consumer)).resolves.toMatchObject({ code: 'FALAJ_STREAM_UNAVAILABLE' });
        await mendIt();
        await direct.publish(n.subject, new TextEncoder().encode(`m${published++}`));
        const got = await fetchUntilSome(consumer);
        expect(got.map((m) => Buffer.from(m.data).toString())).toEqual([`m${published - 1}`]);
        await consumer.ack(got);
      }
    } finally {
      await proxied.close();
      await direct.close();
      await proxy.close();
      const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
      await (await jetstreamManager(nc)).streams.delete(n.stream).catch(() => undefined);
      await nc.close();
    }
  }, 90_000);

  it('refuses an existing stream that does not capture the subject, naming it', async () => {
    const broker = await createNatsBroker({ url });
    const suffix = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const stream = `capture_${suffix}`;
    try {
      await broker.consumer({ stream, subject: `falaj.a.${suffix}`, group: 'g', consumer: 'c' });
      await expect(broker.consumer({ stream, subject: `falaj.b.${suffix}`, group: 'g2', consumer: 'c' })).rejects.toMatchObject({
        code: 'FALAJ_STREAM_CONFIG_INVALID',
        message: expect.stringContaining(`falaj.a.${suffix}`),
      });
    } finally {
      await broker.close();
      const nc = await connect({ servers: url.replace(/^nats:\/\//, '') });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });
});

/** Fetches (acking nothing) until a fetch rejects, which it must within 30 s; resolves with the error. */
async function fetchUntilError(consumer: StreamConsumer): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      expect(await consumer.fetch(10, 1000)).toEqual([]);
    } catch (err) {
      return err;
    }
  }
  throw new Error('fetch kept answering [] over a lost connection');
}

/** Fetches until something arrives (through errors while the client reconnects), within 30 s. */
async function fetchUntilSome(consumer: StreamConsumer): Promise<StreamMessage[]> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const got = await consumer.fetch(10, 1000).catch(() => []);
    if (got.length > 0) return got;
  }
  throw new Error('nothing arrived once the connection was back');
}

describe('nats subject filters', () => {
  it('match as JetStream matches them', () => {
    expect(subjectMatches('orders.>', 'orders.created.eu')).toBe(true);
    expect(subjectMatches('orders.>', 'orders')).toBe(false);
    expect(subjectMatches('orders.*', 'orders.created')).toBe(true);
    expect(subjectMatches('orders.*', 'orders.created.eu')).toBe(false);
    expect(subjectMatches('orders.created', 'orders.created')).toBe(true);
    expect(subjectMatches('orders.created', 'orders.deleted')).toBe(false);
  });
});
