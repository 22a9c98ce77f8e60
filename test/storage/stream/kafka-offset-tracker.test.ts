import { describe, expect, it } from 'vitest';
import { KafkaOffsetTracker } from '../../../src/storage/stream/kafka-offset-tracker.js';

describe('kafka offset tracker', () => {
  it('commits offset + 1 only once every earlier message of the partition is acked', () => {
    const offsets = new KafkaOffsetTracker();
    for (const o of [10n, 11n, 12n, 13n]) offsets.received(0, o);
    expect(offsets.acked(0, 12n)).toBeUndefined();
    expect(offsets.acked(0, 11n)).toBeUndefined();
    expect(offsets.acked(0, 10n)).toBe(13n); // 10, 11, 12 done: 13 is next to read
    expect(offsets.acked(0, 13n)).toBe(14n);
  });

  it('keeps partitions apart and ignores repeated or unknown acks', () => {
    const offsets = new KafkaOffsetTracker();
    offsets.received(0, 5n);
    offsets.received(1, 5n);
    offsets.received(1, 6n);
    expect(offsets.acked(1, 6n)).toBeUndefined();
    expect(offsets.acked(0, 5n)).toBe(6n);
    expect(offsets.acked(0, 5n)).toBeUndefined();
    expect(offsets.acked(2, 1n)).toBeUndefined();
    expect(offsets.acked(1, 5n)).toBe(7n);
  });

  it('steps over offset gaps (compacted records, transaction markers)', () => {
    const offsets = new KafkaOffsetTracker();
    for (const o of [3n, 7n, 8n]) offsets.received(0, o);
    expect(offsets.acked(0, 8n)).toBeUndefined();
    expect(offsets.acked(0, 7n)).toBeUndefined();
    expect(offsets.acked(0, 3n)).toBe(9n);
  });

  it('restarts a partition read again from an earlier offset, never committing past what is unread', () => {
    const offsets = new KafkaOffsetTracker();
    for (const o of [5n, 6n, 7n]) offsets.received(0, o);
    expect(offsets.received(0, 3n)).toBe('restart');
    offsets.received(0, 4n);
    // 5..7 from before the restart are no longer open: their acks commit nothing.
    expect(offsets.acked(0, 7n)).toBeUndefined();
    expect(offsets.acked(0, 4n)).toBeUndefined();
    expect(offsets.acked(0, 3n)).toBe(5n);
  });

  it('forgets everything on reset (a rebalance)', () => {
    const offsets = new KafkaOffsetTracker();
    offsets.received(0, 1n);
    offsets.reset();
    expect(offsets.acked(0, 1n)).toBeUndefined();
    expect(offsets.received(0, 1n)).toBe('ok');
  });
});
