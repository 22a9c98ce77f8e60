/** One partition's offsets received and not yet committable, in offset order. */
interface PartitionOffsets {
  /** offset → acked; a Map keeps insertion order, which is offset order (see `received`) */
  open: Map<bigint, boolean>;
  highest: bigint;
}

/**
 * Decides Kafka commits when acks arrive out of order. Kafka stores one committed offset per
 * partition: "every message below this one is done". So an ack commits `offset + 1` only once
 * every earlier message of its partition received in this generation is acked as well; an
 * ack that leaves a gap below it waits for the gap to fill.
 *
 * @example
 * ```ts
 * const offsets = new KafkaOffsetTracker();
 * for (const o of [5n, 6n, 7n]) offsets.received(0, o);
 * offsets.acked(0, 6n); // undefined: 5 is not done
 * offsets.acked(0, 5n); // 7n: commit 7, the next offset to read
 * ```
 */
export class KafkaOffsetTracker {
  #partitions = new Map<number, PartitionOffsets>();

  /**
   * Notes a message handed to the queue. Returns `'restart'` when the offset is not above
   * the partition's last one: the client re-read the partition from an earlier offset, so
   * the caller must drop what it holds of that partition (it will arrive again) — the
   * partition's tracking has then restarted at this offset.
   */
  received(partition: number, offset: bigint): 'ok' | 'restart' {
    const state = this.#partitions.get(partition);
    if (state === undefined || offset <= state.highest) {
      this.#partitions.set(partition, { open: new Map([[offset, false]]), highest: offset });
      return state === undefined ? 'ok' : 'restart';
    }
    state.open.set(offset, false);
    state.highest = offset;
    return 'ok';
  }

  /**
   * Notes an ack. Returns the offset to commit for the partition (the next one to read)
   * when the ack completed a run from the oldest open offset; otherwise `undefined`,
   * also for an offset not open here (acked already, or from before a rebalance).
   */
  acked(partition: number, offset: bigint): bigint | undefined {
    const state = this.#partitions.get(partition);
    if (state === undefined || state.open.get(offset) !== false) return undefined;
    state.open.set(offset, true);
    let commit: bigint | undefined;
    // Deleting the entry being visited is safe in a Map iteration.
    for (const [open, done] of state.open) {
      if (!done) break;
      state.open.delete(open);
      commit = open + 1n;
    }
    return commit;
  }

  /** Forgets one partition (its messages will be read again from the committed offset). */
  forget(partition: number): void {
    this.#partitions.delete(partition);
  }

  /** Forgets everything: after a rebalance the client reads again from the committed offsets. */
  reset(): void {
    this.#partitions.clear();
  }
}
