import { it } from 'vitest';
import { parseTrainerSpec, trainTabularModel } from '../../../src/training/trainer/index.js';
import { syntheticData } from './synthetic.js';
it('probe', async () => {
  const s = (o: Record<string, unknown>) => parseTrainerSpec({ type: 'tabular', task: 'binary', label: 'y', model: 'linear', epochs: 15, batchSize: 64, learningRate: 0.02, ...o });
  const a = await trainTabularModel(syntheticData('linear', 3000, 1, { nullShare: 0.1 }), s({}));
  console.log('linear', a.validation, a.bestEpoch, a.history.length);
  const x = syntheticData('xor', 4000, 2);
  const b = await trainTabularModel(x, s({ epochs: 10 }));
  const c = await trainTabularModel(x, s({ model: 'mlp', hidden: [16], epochs: 40, patience: 40 }));
  console.log('xor', b.validation, c.validation, c.bestEpoch);
  const r = await trainTabularModel(syntheticData('regression', 3000, 3), s({ task: 'regression', model: 'mlp', hidden: [16], epochs: 40, patience: 40 }));
  console.log('reg', r.validation, r.bestEpoch);
  const e = await trainTabularModel(syntheticData('linear', 1000, 4), s({ model: 'mlp', hidden: [32], epochs: 200, patience: 3, learningRate: 0.5, batchSize: 16 }));
  console.log('es', e.history.map(h => h.metrics.val_loss!.toFixed(3)).join(' '), e.bestEpoch);
});
