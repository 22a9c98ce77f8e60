// The adapters themselves load on demand through createBroker (each client library only
// when its URL scheme is configured); import an adapter's file directly to build one by hand.
export type { StreamBroker, StreamConsumer, StreamMessage } from '../../data/contracts.js';
export type { StreamConsumerOptions } from './stream-names.js';
export type { StreamBrokerOptions } from './stream-options.js';
export type { NatsBrokerOptions } from './nats-broker.js';
export type { RedisStreamsBrokerOptions } from './redis-streams-broker.js';
export type { KafkaBrokerOptions } from './kafka-broker.js';
export { createBroker, brokerKindOf, type CreateBrokerOptions } from './create-broker.js';
