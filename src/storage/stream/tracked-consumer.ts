import type { StreamConsumer } from '../../data/contracts.js';

/**
 * Adds a consumer to its broker's open set and hands back one whose `close()` also removes
 * it, so the broker's own `close()` can close whatever is still open.
 */
export function trackedConsumer(open: Set<StreamConsumer>, consumer: StreamConsumer): StreamConsumer {
  open.add(consumer);
  return {
    ...consumer,
    async close() {
      open.delete(consumer);
      await consumer.close();
    },
  };
}
