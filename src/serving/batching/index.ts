export { DynamicBatcher, type DynamicBatcherOptions, type DynamicBatcherStats } from './dynamic-batcher.js';
export { systemClock, type BatchClock } from './batch-clock.js';
export { assertBatched, concatFeeds, describeFeeds, splitOutputs } from './tensor-batch.js';
