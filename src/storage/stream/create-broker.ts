import { ConfigError } from '../../core/errors/index.js';
import type { StreamBroker } from '../../data/contracts.js';
import type { StreamBrokerOptions } from './stream-options.js';

/** Options of {@link createBroker}: the common ones, and those only some brokers read. */
export interface CreateBrokerOptions extends StreamBrokerOptions {
  /** Redis only: first part of every stream key. Default `falaj`. */
  keyPrefix?: string;
  /** Kafka only: partitions of a topic it creates. Default: the cluster's. */
  partitions?: number;
}

/** The broker kind a URL names, or undefined for a scheme no adapter handles. */
export function brokerKindOf(url: string): StreamBroker['kind'] | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'nats') return 'nats';
  if (scheme === 'redis' || scheme === 'rediss') return 'redis';
  if (scheme === 'kafka') return 'kafka';
  return undefined;
}

/**
 * Opens the broker a URL names: `nats://…` (JetStream), `redis://…` or `rediss://…` (Redis
 * Streams), `kafka://host:port[,host:port]`. Each adapter and its client library load only
 * when named.
 *
 * @throws ConfigError `FALAJ_STREAM_CONFIG_INVALID` for a URL no adapter handles
 * @throws UnavailableError `FALAJ_STREAM_UNAVAILABLE` when the broker cannot be reached
 * @example
 * ```ts
 * const broker = await createBroker('nats://nats:4222', { ackWaitMs: 60_000 });
 * ```
 */
export async function createBroker(url: string, options: CreateBrokerOptions = {}): Promise<StreamBroker> {
  const { keyPrefix, partitions, ...common } = options;
  switch (brokerKindOf(url)) {
    case 'nats': {
      const { createNatsBroker } = await import('./nats-broker.js');
      return createNatsBroker({ ...common, url });
    }
    case 'redis': {
      const { createRedisStreamsBroker } = await import('./redis-streams-broker.js');
      return createRedisStreamsBroker({ ...common, url, ...(keyPrefix === undefined ? {} : { keyPrefix }) });
    }
    case 'kafka': {
      const { createKafkaBroker } = await import('./kafka-broker.js');
      return createKafkaBroker({ ...common, url, ...(partitions === undefined ? {} : { partitions }) });
    }
    default: {
      // Show only the scheme: the rest may hold a password.
      const scheme = /^([^:/]*):/.exec(url)?.[1] ?? '';
      throw new ConfigError(
        'FALAJ_STREAM_CONFIG_INVALID',
        `stream broker URL scheme ${JSON.stringify(scheme)} is not supported: use nats://, redis://, rediss:// or kafka://.`,
      );
    }
  }
}
