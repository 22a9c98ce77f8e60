import { describe, expect, it } from 'vitest';
import { ConfigError, UnavailableError } from '../../../src/core/errors/index.js';
import { parseBrokerUrl } from '../../../src/storage/stream/broker-url.js';
import { brokerKindOf, createBroker } from '../../../src/storage/stream/index.js';

describe('broker URLs', () => {
  it('name the broker kind by scheme', () => {
    expect(brokerKindOf('nats://n:4222')).toBe('nats');
    expect(brokerKindOf('redis://r:6379/2')).toBe('redis');
    expect(brokerKindOf('rediss://r:6380')).toBe('redis');
    expect(brokerKindOf('KAFKA://k1:9092,k2:9092')).toBe('kafka');
    expect(brokerKindOf('amqp://q')).toBeUndefined();
  });

  it('list several hosts, default ports, and keep credentials out of the location', () => {
    expect(parseBrokerUrl('kafka://k1:9093,k2,[::1]:9094', 9092)).toEqual({
      scheme: 'kafka',
      addresses: [
        { host: 'k1', port: 9093 },
        { host: 'k2', port: 9092 },
        { host: '::1', port: 9094 },
      ],
      username: undefined,
      password: undefined,
      location: 'kafka://k1:9093,k2:9092,[::1]:9094',
    });
    const nats = parseBrokerUrl('nats://ingest:p%40ss@n1:4222', 4222);
    expect([nats.username, nats.password, nats.location]).toEqual(['ingest', 'p@ss', 'nats://n1:4222']);
  });

  it('refuse what they cannot use, never echoing a password', () => {
    for (const url of ['kafka://', 'kafka://k1:99999', 'kafka://k1:9092/path', 'k1:9092', 'kafka://a b:1']) {
      expect(() => parseBrokerUrl(url, 9092)).toThrow(ConfigError);
    }
    try {
      parseBrokerUrl('nats://u:secret@n1:4222/x', 4222);
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).code).toBe('FALAJ_STREAM_CONFIG_INVALID');
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe('createBroker', () => {
  it('refuses an unsupported scheme with FALAJ_STREAM_CONFIG_INVALID', async () => {
    await expect(createBroker('amqp://user:secret@q:5672')).rejects.toSatisfy(
      (err: unknown) => err instanceof ConfigError && err.code === 'FALAJ_STREAM_CONFIG_INVALID' && !err.message.includes('secret'),
    );
  });

  it('refuses a nonsensical ack wait', async () => {
    await expect(createBroker('nats://127.0.0.1:1', { ackWaitMs: 0 })).rejects.toMatchObject({ code: 'FALAJ_STREAM_CONFIG_INVALID' });
  });

  // Port 1 on the loopback refuses connections at once: no engine is needed.
  it.each(['nats://user:secret@127.0.0.1:1', 'redis://:secret@127.0.0.1:1', 'kafka://127.0.0.1:1'])(
    'answers FALAJ_STREAM_UNAVAILABLE when %s cannot be reached, without the password',
    async (url) => {
      const err = await createBroker(url, { connectTimeoutMs: 2000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as UnavailableError).code).toBe('FALAJ_STREAM_UNAVAILABLE');
      expect((err as Error).message).not.toContain('secret');
    },
    30_000,
  );
});
