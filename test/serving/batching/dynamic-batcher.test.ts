import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../../../src/serving/batching/index.js';
import type { Tensor } from '../../../src/serving/runtime/index.js';
import { answer, fakeModel, floatRows, ManualClock, plain } from './fake-model.js';

/** A request with float32, int64 and string inputs, `rows` rows, values tagged by `seed`. */
function mixed(seed: number, rows: number): Record<string, Tensor> {
  return {
    x: floatRows(seed, rows, 2),
    ids: { type: 'int64', data: BigInt64Array.from({ length: rows * 3 }, (_, i) => BigInt(seed * 1000 + i)), dims: [rows, 3] },
    words: { type: 'string', data: Array.from({ length: rows }, (_, i) => `w${seed}-${i}`), dims: [rows] },
  };
}

describe('dynamic batcher: batch composition', () => {
  it('gives every request exactly its own rows of every output, in order, for float32, int64 and string tensors', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 100, maxQueueDelayMicros: 0 });
    model.hold();
    const requests = Array.from({ length: 10 }, (_, i) => mixed(i + 1, (i % 3) + 1));
    const expected = requests.map((r) => plain(answer(r)));
    const results = requests.map((r) => batcher.infer(r));
    model.release();
    expect((await Promise.all(results)).map(plain)).toEqual(expected);
    // the first ran alone on the free slot; the nine that queued behind it ran as one batch
    expect(model.batchRows()).toEqual([1, requests.slice(1).reduce((n, r) => n + r.x!.dims[0]!, 0)]);
    expect(batcher.stats()).toMatchObject({ batches: 2, queuedRequests: 0, queuedRows: 0, inFlight: 0 });
  });

  it('passes a lone request straight through, uncopied, when a slot is free', async () => {
    const feeds = { x: floatRows(1) };
    const outputs = answer(feeds);
    let seen: Record<string, Tensor> | undefined;
    const batcher = new DynamicBatcher(
      async (f) => {
        seen = f;
        return outputs;
      },
      { maxBatchSize: 8, maxQueueDelayMicros: 0 },
    );
    expect(await batcher.infer(feeds)).toBe(outputs);
    expect(seen).toBe(feeds);
  });

  it('turns 50 concurrent one-row requests into a few batches of at most maxBatchSize', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 16, maxQueueDelayMicros: 0, maxInFlight: 1 });
    const requests = Array.from({ length: 50 }, (_, i) => ({ x: floatRows(i) }));
    const expected = requests.map((r) => plain(answer(r)));
    expect((await Promise.all(requests.map((r) => batcher.infer(r)))).map(plain)).toEqual(expected);
    // one ran at once; the rest queued behind it and filled batches as slots freed
    expect(model.batchRows()).toEqual([1, 16, 16, 16, 1]);
    expect(batcher.stats()).toMatchObject({ batches: 5, meanBatchRows: 10 });
  });

  it('never runs more than maxInFlight batches at once', async () => {
    const model = fakeModel();
    let running = 0;
    let most = 0;
    const batcher = new DynamicBatcher(
      async (feeds) => {
        most = Math.max(most, ++running);
        try {
          return await model.run(feeds);
        } finally {
          running--;
        }
      },
      { maxBatchSize: 8, maxQueueDelayMicros: 0, maxInFlight: 2 },
    );
    const requests = Array.from({ length: 40 }, (_, i) => ({ x: floatRows(i) }));
    expect((await Promise.all(requests.map((r) => batcher.infer(r)))).map(plain)).toEqual(requests.map((r) => plain(answer(r))));
    expect(most).toBe(2);
    expect(model.batchRows().every((n) => n <= 8)).toBe(true);
    expect(model.batchRows().length).toBeLessThan(10);
  });

  it('lets requests that arrive within the queue delay join one batch (real 20 ms delay)', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 64, maxQueueDelayMicros: 20_000 });
    const early = [1, 2, 3].map((i) => batcher.infer({ x: floatRows(i) }));
    // a timer shorter than the queue delay, armed after it, fires before it
    const late = await new Promise<Promise<Record<string, Tensor>>[]>((resolve) => setTimeout(() => resolve([4, 5].map((i) => batcher.infer({ x: floatRows(i) }))), 5));
    const results = await Promise.all([...early, ...late]);
    expect(results.map(plain)).toEqual([1, 2, 3, 4, 5].map((i) => plain(answer({ x: floatRows(i) }))));
    expect(model.batchRows()).toEqual([5]);
    await batcher.infer({ x: floatRows(6) }); // after the batch left: a batch of its own
    expect(model.batchRows()).toEqual([5, 1]);
  });

  it('waits the queue delay for company, unless the batch fills first (manual clock)', async () => {
    const clock = new ManualClock();
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 4, maxQueueDelayMicros: 1000, clock });
    const first = [1, 2, 3].map((i) => batcher.infer({ x: floatRows(i) }));
    clock.advance(999);
    expect(model.calls).toHaveLength(0);
    expect(batcher.stats()).toMatchObject({ queuedRequests: 3, queuedRows: 3 });
    clock.advance(1);
    expect(model.batchRows()).toEqual([3]);
    await Promise.all(first);
    const full = [4, 5, 6, 7].map((i) => batcher.infer({ x: floatRows(i) }));
    expect(model.batchRows()).toEqual([3, 4]); // full: no waiting
    await Promise.all(full);
    expect(clock.pending()).toBe(0);
  });

  it('keeps queueing while every slot is busy, so the next batch is larger', async () => {
    const clock = new ManualClock();
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 8, maxQueueDelayMicros: 1000, maxInFlight: 1, clock });
    model.hold();
    const all = [1, 2].map((i) => batcher.infer({ x: floatRows(i) }));
    clock.advance(1000);
    expect(model.batchRows()).toEqual([2]);
    all.push(...[3, 4, 5, 6, 7].map((i) => batcher.infer({ x: floatRows(i) })));
    clock.advance(1000); // their delay is over, but no slot is free
    all.push(...[8, 9, 10].map((i) => batcher.infer({ x: floatRows(i) })));
    expect(model.batchRows()).toEqual([2]);
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queuedRequests: 8 });
    model.release();
    expect((await Promise.all(all)).map(plain)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => plain(answer({ x: floatRows(i) }))));
    expect(model.batchRows()).toEqual([2, 8]);
  });

  it('runs a request larger than maxBatchSize alone and whole, never split', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 4, maxQueueDelayMicros: 0 });
    model.hold();
    const feeds = [floatRows(1), floatRows(2), floatRows(3, 10), floatRows(4), floatRows(5, 2)].map((x) => ({ x }));
    const results = feeds.map((f) => batcher.infer(f));
    model.release();
    expect((await Promise.all(results)).map(plain)).toEqual(feeds.map((f) => plain(answer(f))));
    expect(model.batchRows()).toEqual([1, 1, 10, 3]);
    // with nothing queued and a slot free it runs at once, even with a queue delay
    const clock = new ManualClock();
    const other = fakeModel();
    await new DynamicBatcher(other.run, { maxBatchSize: 4, maxQueueDelayMicros: 1_000_000, clock }).infer({ x: floatRows(6, 5) });
    expect(other.batchRows()).toEqual([5]);
  });

  it('batches only requests with the same input names, types and dims past dim 0', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 16, maxQueueDelayMicros: 0 });
    model.hold();
    const ids = (n: bigint): Record<string, Tensor> => ({ ids: { type: 'int64', data: BigInt64Array.from([n]), dims: [1, 1] } });
    const feeds = [{ x: floatRows(0) }, { x: floatRows(1, 1, 3) }, { x: floatRows(2, 1, 2) }, ids(7n), { x: floatRows(3, 2, 3) }, { x: floatRows(4, 1, 2) }, ids(8n)];
    const results = feeds.map((f) => batcher.infer(f));
    model.release();
    expect((await Promise.all(results)).map(plain)).toEqual(feeds.map((f) => plain(answer(f))));
    // oldest waiting group first: width 3 (requests 1 and 4), width 2 (2 and 5), then the int64 ids
    expect(model.calls.slice(1).map((c) => Object.entries(c).map(([name, t]) => `${name}${JSON.stringify(t.dims)}`).join())).toEqual(['x[3,3]', 'x[2,2]', 'ids[2,1]']);
  });
});
