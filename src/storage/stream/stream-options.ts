import { ConfigError } from '../../core/errors/index.js';

/** Settings every broker adapter takes. */
export interface StreamBrokerOptions {
  /**
   * How long a delivered message may stay un-acknowledged before the broker hands it out
   * again (to this consumer or another of its group). Default 30 000 ms. Kafka has no such
   * timer: there an un-acked message comes back only after a rebalance or restart.
   */
  ackWaitMs?: number;
  /** How long to wait for a connection before failing. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long a management call or an acknowledgement may go unanswered. Default 5000 ms. */
  requestTimeoutMs?: number;
}

/** {@link StreamBrokerOptions} with the defaults applied. */
export type ResolvedStreamBrokerOptions = Required<StreamBrokerOptions>;

/** Applies the defaults and checks each setting is a positive whole number of milliseconds. */
export function resolveStreamBrokerOptions(options: StreamBrokerOptions): ResolvedStreamBrokerOptions {
  const resolved = {
    ackWaitMs: options.ackWaitMs ?? 30_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError('FALAJ_STREAM_CONFIG_INVALID', `stream broker: ${key} must be a positive whole number of milliseconds, not ${JSON.stringify(value)}.`);
    }
  }
  return resolved;
}
