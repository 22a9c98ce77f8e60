import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { invalidStreamSettings } from './stream-errors.js';
import type { StreamConsumerOptions } from './stream-names.js';

/**
 * Creates the stream `stream` capturing `subject` when it is missing. An existing stream
 * is kept as it is (its limits are the operator's), but it must capture the subject.
 * Two replicas creating it at once is safe: JetStream answers an identical add with the
 * existing stream.
 */
export async function ensureNatsStream(jsm: JetStreamManager, stream: string, subject: string): Promise<void> {
  let info: StreamInfo | undefined = await jsm.streams.info(stream).catch(unlessMissing(JetStreamApiCodes.StreamNotFound));
  if (info === undefined) info = await jsm.streams.add({ name: stream, subjects: [subject] }).catch(asSettingsError('stream', stream));
  const captures = info.config.subjects ?? [];
  if (!captures.some((filter) => subjectMatches(filter, subject))) {
    throw invalidStreamSettings('subject', subject, `stream ${stream} exists and does not capture it (it captures ${captures.join(', ') || 'nothing'})`);
  }
}

/**
 * Creates the durable pull consumer `group` on `stream` when it is missing: explicit acks,
 * redelivery after `ackWaitMs`, no limit on deliveries (a message is never dropped for
 * having failed too often), starting at the beginning of the stream. An existing one must
 * be a pull consumer with explicit acks on the same subject; a different ack wait is
 * updated to this replica's.
 */
/** Un-acknowledged messages a group may hold: above the largest ingestion flush. */
const MAX_ACK_PENDING = 100_000;

export async function ensureNatsConsumer(jsm: JetStreamManager, options: StreamConsumerOptions, ackWaitMs: number): Promise<void> {
  const { stream, group, subject } = options;
  const ackWait = nanos(ackWaitMs);
  const info: ConsumerInfo | undefined = await jsm.consumers.info(stream, group).catch(unlessMissing(JetStreamApiCodes.ConsumerNotFound));
  if (info === undefined) {
    await jsm.consumers
      .add(stream, {
        durable_name: group,
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWait,
        max_deliver: -1,
        // JetStream's default (1,000 un-acked) stalls a pull asking for more until it
        // expires: a flush of 20,000 rows must be able to hold that many in flight
        max_ack_pending: MAX_ACK_PENDING,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
      })
      .catch(asSettingsError('group', group));
    return;
  }
  const config = info.config;
  if (config.deliver_subject) throw invalidStreamSettings('group', group, `stream ${stream} has a push consumer of that name`);
  if (config.ack_policy !== AckPolicy.Explicit) throw invalidStreamSettings('group', group, `its consumer acks with policy ${config.ack_policy}, not explicit`);
  const filters = config.filter_subjects ?? (config.filter_subject ? [config.filter_subject] : []);
  if (filters.length > 0 && !(filters.length === 1 && filters[0] === subject)) {
    throw invalidStreamSettings('group', group, `its consumer reads ${filters.join(', ')}, not ${subject}`);
  }
  if (config.ack_wait !== ackWait || (config.max_ack_pending ?? 0) < MAX_ACK_PENDING) {
    await jsm.consumers.update(stream, group, { ack_wait: ackWait, max_ack_pending: MAX_ACK_PENDING }).catch(asSettingsError('group', group));
  }
}

/** True when the NATS subject filter (with `*` and `>` wildcards) matches the subject. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/** A `.catch` handler turning the API's "not found" into `undefined`, rethrowing anything else. */
function unlessMissing(code: number): (err: unknown) => undefined {
  return (err) => {
    if (err instanceof JetStreamApiError && err.code === code) return undefined;
    throw err;
  };
}

/** A `.catch` handler turning a refusal by the server (overlapping subjects, a name in use) into a settings error. */
function asSettingsError(setting: string, value: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof JetStreamApiError && err.status === 400) throw invalidStreamSettings(setting, value, `JetStream refused it: ${err.message}`);
    throw err;
  };
}
