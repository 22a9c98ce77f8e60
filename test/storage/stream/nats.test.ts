import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createBroker } from '../../../src/storage/stream/index.js';
import { createNatsBroker } from '../../../src/storage/stream/nats-broker.js';
import { subjectMatches } from '../../../src/storage/stream/nats-setup.js';
import { engineUrl } from '../../helpers/engines.js';
import { streamConformance } from './conformance.js';

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
