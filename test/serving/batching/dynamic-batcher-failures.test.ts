import { describe, expect, it } from 'vitest';
import { InputError, UnavailableError } from '../../../src/core/errors/index.js';
import { DynamicBatcher } from '../../../src/serving/batching/index.js';
import type { Tensor } from '../../../src/serving/runtime/index.js';
import { answer, fakeModel, floatRows, ManualClock, plain } from './fake-model.js';

const hasNaN = (feeds: Record<string, Tensor>) => Array.from(feeds.x!.data as Float32Array).some(Number.isNaN);
const bad = (): Record<string, Tensor> => ({ x: { type: 'float32', data: Float32Array.from([1, NaN, 3]), dims: [1, 3] } });

describe('dynamic batcher: failures, backpressure and close', () => {
  it('retries a failed batch request by request when the model refuses its input, so only the bad request fails', async () => {
    const model = fakeModel({ failWhen: (f) => (hasNaN(f) ? new InputError('FALAJ_INFERENCE_FAILED', 'NaN in input x') : undefined) });
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    model.hold();
    const feeds = [{ x: floatRows(0) }, { x: floatRows(1) }, bad(), { x: floatRows(2) }];
    const settled = Promise.allSettled(feeds.map((f) => batcher.infer(f)));
    model.release();
    const [r0, r1, r2, r3] = await settled;
    expect(r2).toMatchObject({ status: 'rejected', reason: { name: 'InputError', code: 'FALAJ_INFERENCE_FAILED' } });
    for (const [i, r] of [r0, r1, r3].entries()) {
      expect(r!.status).toBe('fulfilled');
      expect(plain((r as PromiseFulfilledResult<Record<string, Tensor>>).value)).toEqual(plain(answer(feeds[[0, 1, 3][i]!]!)));
    }
    // the batch of three failed, then each of its requests ran alone
    expect(model.batchRows()).toEqual([1, 3, 1, 1, 1]);
    expect(batcher.stats().batches).toBe(2);
  });

  it('gives every request of a batch the same error when the failure is not about the input', async () => {
    const down = new UnavailableError('FALAJ_UNAVAILABLE', 'the inference pool is closed');
    const model = fakeModel({ failWhen: (f) => (f.x!.dims[0]! > 1 ? down : undefined) });
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 8, maxQueueDelayMicros: 0 });
    model.hold();
    const settled = Promise.allSettled([0, 1, 2, 3].map((i) => batcher.infer({ x: floatRows(i) })));
    model.release();
    const results = await settled;
    expect(results[0]!.status).toBe('fulfilled');
    for (const r of results.slice(1)) expect(r).toEqual({ status: 'rejected', reason: down });
    expect(model.batchRows()).toEqual([1, 3]); // no retries
  });

  it('refuses to guess when an output does not have the batch as dim 0', async () => {
    const notBatched = async () => ({ mean: { type: 'float32' as const, data: Float32Array.from([0.5]), dims: [1] } });
    const clock = new ManualClock();
    const batched = new DynamicBatcher(notBatched, { maxBatchSize: 8, maxQueueDelayMicros: 1000, clock });
    const settled = Promise.allSettled([0, 1, 2].map((i) => batched.infer({ x: floatRows(i) })));
    clock.advance(1000);
    for (const r of await settled) {
      expect(r).toMatchObject({ status: 'rejected', reason: { name: 'InputError', code: 'FALAJ_INFERENCE_FAILED', message: expect.stringContaining('output mean has dims [1] but the batch had 3 rows') } });
    }
    // the same rule for a request alone, so the answer does not depend on traffic
    await expect(new DynamicBatcher(notBatched, { maxBatchSize: 8, maxQueueDelayMicros: 0 }).infer({ x: floatRows(0, 2) })).rejects.toMatchObject({ code: 'FALAJ_INFERENCE_FAILED' });
  });

  it('rejects at once with FALAJ_INFERENCE_QUEUE_FULL beyond maxQueuedRows', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 2, maxQueueDelayMicros: 0, maxQueuedRows: 4 });
    model.hold();
    const accepted = [batcher.infer({ x: floatRows(0) }), ...[1, 2, 3, 4].map((i) => batcher.infer({ x: floatRows(i) }))];
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queuedRequests: 4, queuedRows: 4 });
    const refused = await batcher.infer({ x: floatRows(5) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnavailableError);
    expect(refused).toMatchObject({ code: 'FALAJ_INFERENCE_QUEUE_FULL', details: { queuedRows: 4, maxQueuedRows: 4 } });
    model.release();
    expect(await Promise.all(accepted)).toHaveLength(5);
    // an empty queue takes any request, even one larger than the limit
    expect(plain(await batcher.infer({ x: floatRows(6, 9) }))).toEqual(plain(answer({ x: floatRows(6, 9) })));
  });

  it('defaults maxQueuedRows to ten full batches per slot', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 1, maxQueueDelayMicros: 0 });
    model.hold();
    const accepted = Array.from({ length: 11 }, (_, i) => batcher.infer({ x: floatRows(i) })); // 1 running + 10 queued
    await expect(batcher.infer({ x: floatRows(11) })).rejects.toMatchObject({ code: 'FALAJ_INFERENCE_QUEUE_FULL' });
    model.release();
    await Promise.all(accepted);
  });

  it('refuses feeds that cannot be batched without running the model', async () => {
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 4, maxQueueDelayMicros: 0 });
    await expect(batcher.infer({ x: floatRows(1), y: floatRows(2, 2) })).rejects.toMatchObject({ name: 'InputError', code: 'FALAJ_INFERENCE_INPUT_INVALID' });
    expect(model.calls).toHaveLength(0);
  });

  it('refuses invalid options, naming the key', () => {
    const run = fakeModel().run;
    expect(() => new DynamicBatcher(run, { maxBatchSize: 0, maxQueueDelayMicros: 0 })).toThrow(expect.objectContaining({ code: 'FALAJ_CONFIG_INVALID', message: expect.stringContaining('maxBatchSize') }));
    expect(() => new DynamicBatcher(run, { maxBatchSize: 4, maxQueueDelayMicros: -1 })).toThrow(/maxQueueDelayMicros/);
    expect(() => new DynamicBatcher(run, { maxBatchSize: 4, maxQueueDelayMicros: 0, maxInFlight: 1.5 })).toThrow(/maxInFlight/);
  });

  it('close() rejects queued requests with FALAJ_UNAVAILABLE, lets running batches finish, then resolves', async () => {
    const clock = new ManualClock();
    const model = fakeModel();
    const batcher = new DynamicBatcher(model.run, { maxBatchSize: 8, maxQueueDelayMicros: 1000, clock });
    model.hold();
    const running = batcher.infer({ x: floatRows(0, 8) }); // full: runs at once
    const queued = Promise.allSettled([1, 2].map((i) => batcher.infer({ x: floatRows(i) })));
    let closed = false;
    const closing = batcher.close().then(() => (closed = true));
    for (const r of await queued) expect(r).toMatchObject({ status: 'rejected', reason: { name: 'UnavailableError', code: 'FALAJ_UNAVAILABLE' } });
    expect(clock.pending()).toBe(0);
    await expect(batcher.infer({ x: floatRows(3) })).rejects.toMatchObject({ code: 'FALAJ_UNAVAILABLE' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // a batch is still running
    model.release();
    expect(plain(await running)).toEqual(plain(answer({ x: floatRows(0, 8) })));
    await closing;
    expect(batcher.stats()).toMatchObject({ inFlight: 0, queuedRequests: 0, batches: 1 });
  });
});
