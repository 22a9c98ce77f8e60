import { describe, expect, it } from 'vitest';
import { MemoryTrainingLog, parseTrainerSpec, predict, rocAuc, trainTabularModel } from '../../../src/training/trainer/index.js';
import { syntheticData, tailRows } from './synthetic.js';

const spec = (overrides: Record<string, unknown>) =>
  parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 15, batchSize: 64, learningRate: 0.02, ...overrides });

describe('trainTabularModel', () => {
  it('fits a logistic regression that ranks held-out rows well, and logs params and per-epoch metrics', async () => {
    const data = syntheticData('linear', 3_000, 1, { nullShare: 0.1 });
    const log = new MemoryTrainingLog();
    const lines: string[] = [];
    const result = await trainTabularModel(data, spec({}), { log, print: (l) => lines.push(l) });
    expect(result.status).toBe('completed');
    expect(result.rows).toMatchObject({ train: 2_400, validation: 600 });
    expect(result.split.method).toBe('time');
    // the true model's AUC on this data is about 0.9; a broken trainer sits near 0.5
    expect(result.validation!.val_auc).toBeGreaterThan(0.85);
    expect(log.params).toMatchObject({ task: 'binary', model: 'linear', epochs: '15', batchSize: '64', feature_count: '4', rows_train: '2400', rows_validation: '600', split_method: 'time', features: 'f0,f1,f2,f3' });
    const epochs = result.history.length;
    for (const key of ['train_loss', 'val_loss', 'val_auc', 'val_logloss', 'val_accuracy']) expect(log.series(key)).toHaveLength(epochs);
    expect(log.metrics.filter((m) => m.key === 'val_auc').map((m) => m.step)).toEqual(result.history.map((h) => h.epoch));
    expect(log.series('best_val_auc')).toEqual([result.validation!.val_auc]);
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(epochs);
    // the training loss falls
    const losses = log.series('train_loss');
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });

  it('an MLP learns XOR, which no linear model can', async () => {
    const data = syntheticData('xor', 4_000, 2);
    const linear = await trainTabularModel(data, spec({ epochs: 10 }));
    const mlp = await trainTabularModel(data, spec({ model: 'mlp', hidden: [16], epochs: 40, patience: 40 }));
    expect(linear.validation!.val_auc).toBeLessThan(0.65);
    expect(mlp.validation!.val_auc).toBeGreaterThan(0.95);
    // predict() on raw rows agrees with the reported validation AUC
    const from = data.rows - mlp.rows.validation;
    const auc = rocAuc(predict(mlp.model!, tailRows(data, from)), data.y.slice(from));
    expect(auc).toBeCloseTo(mlp.validation!.val_auc!, 10);
  });

  it('regresses a target in the hundreds and reports RMSE, MAE and R² in label units', async () => {
    const data = syntheticData('regression', 3_000, 3);
    const log = new MemoryTrainingLog();
    const result = await trainTabularModel(data, spec({ task: 'regression', model: 'mlp', hidden: [16], epochs: 40, patience: 40 }), { log });
    expect(result.validation!.val_r2).toBeGreaterThan(0.95);
    expect(result.validation!.val_rmse).toBeLessThan(20); // the target's std is about 100
    for (const key of ['train_loss', 'val_loss', 'val_rmse', 'val_mae', 'val_r2']) expect(log.series(key).length).toBe(result.history.length);
    // val_loss is the MSE in label units
    const last = result.history.at(-1)!.metrics;
    expect(last.val_loss).toBeCloseTo(last.val_rmse! ** 2, 6);
  });

  it('stops early when the validation loss stops improving and keeps the best epoch', async () => {
    // a learning rate far too high for this data: the validation loss bounces
    const data = syntheticData('linear', 1_000, 4);
    const result = await trainTabularModel(data, spec({ model: 'mlp', hidden: [32], epochs: 200, patience: 3, learningRate: 0.5, batchSize: 16 }));
    expect(result.stopReason).toBe('early-stopping');
    expect(result.history.length).toBeLessThan(200);
    const losses = result.history.map((h) => h.metrics.val_loss!);
    const best = Math.min(...losses);
    expect(result.history[result.bestEpoch - 1]!.metrics.val_loss).toBe(best);
    expect(result.history.length).toBe(result.bestEpoch + 3);
  });

  it('stops between batches when its signal is aborted', async () => {
    const data = syntheticData('linear', 2_000, 5);
    const controller = new AbortController();
    controller.abort(new Error('terminated'));
    await expect(trainTabularModel(data, spec({}), { signal: controller.signal })).rejects.toThrow('terminated');
  });
});
