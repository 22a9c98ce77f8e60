import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTrainingLog, parseTrainerSpec, predict, trainTabularModel, type TabularModel } from '../../../src/training/trainer/index.js';
import { syntheticData, tailRows } from './synthetic.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'falaj-trainer-ckpt-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const weights = (model: TabularModel) => model.layers.flatMap((l) => [...l.weights, ...l.bias]);

describe.each(['linear', 'mlp'] as const)('checkpoint and resume (%s)', (model) => {
  const data = syntheticData('linear', 1_500, 11, { nullShare: 0.05 });
  const spec = parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'y', model, hidden: [8, 4], epochs: 8, patience: 8, batchSize: 50, learningRate: 0.01, l2: 0.001 });

  it('a run stopped after epoch 3 and resumed ends bit-identical to an uninterrupted run', async () => {
    const whole = await trainTabularModel(data, spec, { checkpointDir: await tempDir() });

    const dir = await tempDir();
    const first = await trainTabularModel(data, spec, { checkpointDir: dir, stopAfterEpoch: 3 });
    expect(first.status).toBe('stopped');
    expect(first.model).toBeUndefined();
    expect(first.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    // only the checkpoint is left in the directory: no temporary files
    expect(await readdir(dir)).toEqual(['tabular-trainer.checkpoint.json']);

    const log = new MemoryTrainingLog();
    const lines: string[] = [];
    const resumed = await trainTabularModel(data, spec, { checkpointDir: dir, log, print: (l) => lines.push(l) });
    expect(resumed.status).toBe('completed');
    expect(resumed.resumedFromEpoch).toBe(3);
    expect(lines[0]).toMatch(/resuming from the checkpoint after epoch 3/);
    // epochs 4…8 were trained in this attempt and only they were logged again
    expect([...new Set(log.metrics.filter((m) => m.key === 'val_loss').map((m) => m.step))]).toEqual([4, 5, 6, 7, 8]);

    expect(weights(resumed.model!)).toEqual(weights(whole.model!));
    expect(resumed.history).toEqual(whole.history);
    expect(resumed.bestEpoch).toBe(whole.bestEpoch);
    const rows = tailRows(data, 1_200);
    expect(predict(resumed.model!, rows)).toEqual(predict(whole.model!, rows));
  });

  it('a finished run started again only re-exports: no epoch is trained twice', async () => {
    const dir = await tempDir();
    const done = await trainTabularModel(data, spec, { checkpointDir: dir });
    const log = new MemoryTrainingLog();
    const again = await trainTabularModel(data, spec, { checkpointDir: dir, log });
    expect(again.resumedFromEpoch).toBe(done.history.length);
    expect(log.series('val_loss')).toEqual([]);
    expect(weights(again.model!)).toEqual(weights(done.model!));
  });
});

describe('checkpoint fingerprint', () => {
  it('a checkpoint of another spec or other data is ignored and training starts afresh', async () => {
    const data = syntheticData('linear', 800, 12);
    const base = { type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 4 };
    const dir = await tempDir();
    await trainTabularModel(data, parseTrainerSpec(base), { checkpointDir: dir, stopAfterEpoch: 2 });

    const lines: string[] = [];
    const other = await trainTabularModel(data, parseTrainerSpec({ ...base, learningRate: 0.05 }), { checkpointDir: dir, print: (l) => lines.push(l) });
    expect(other.resumedFromEpoch).toBe(0);
    expect(lines[0]).toMatch(/ignoring the checkpoint .*another spec or other data; starting afresh/);
    expect(other.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);

    const changed = syntheticData('linear', 800, 13);
    const fresh = await trainTabularModel(changed, parseTrainerSpec({ ...base, learningRate: 0.05 }), { checkpointDir: dir });
    expect(fresh.resumedFromEpoch).toBe(0);
  });
});
