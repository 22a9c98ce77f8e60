import { invalidStreamSettings } from './stream-errors.js';

/**
 * Names every broker accepts, so that a stream source valid on one broker is valid on all:
 * JetStream stream and durable names may hold no `.`, `*`, `>` or whitespace; Kafka topics
 * are `[A-Za-z0-9._-]{1,249}`; Redis takes anything.
 */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The consumer (replica) name is informational on NATS and Kafka, so it may also hold dots (a host name). */
const CONSUMER = /^[A-Za-z0-9_.-]{1,128}$/;
/** Dot-separated tokens, no wildcards: a NATS subject that is also a valid Kafka topic. */
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const SUBJECT_MAX = 249;

/** What {@link StreamBroker.consumer} takes (the contract's options). */
export interface StreamConsumerOptions {
  stream: string;
  subject: string;
  group: string;
  consumer: string;
}

/** Rejects a subject that is not dot-separated `[A-Za-z0-9_-]` tokens of at most 249 characters. */
export function assertStreamSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length > SUBJECT_MAX || !SUBJECT.test(subject)) {
    throw invalidStreamSettings('subject', subject, `use dot-separated tokens of letters, digits, '_' and '-', at most ${SUBJECT_MAX} characters, no wildcards`);
  }
}

/**
 * Validates a consumer's options before anything is created on the broker.
 *
 * @throws InputError `FALAJ_STREAM_CONFIG_INVALID` naming the bad setting
 */
export function assertStreamConsumerOptions(options: StreamConsumerOptions): void {
  for (const setting of ['stream', 'group'] as const) {
    const value = options[setting];
    if (typeof value !== 'string' || !NAME.test(value)) {
      throw invalidStreamSettings(setting, value, "use 1 to 64 letters, digits, '_' or '-'");
    }
  }
  if (typeof options.consumer !== 'string' || !CONSUMER.test(options.consumer)) {
    throw invalidStreamSettings('consumer', options.consumer, "use 1 to 128 letters, digits, '_', '-' or '.'");
  }
  assertStreamSubject(options.subject);
}
