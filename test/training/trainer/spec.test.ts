import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors/index.js';
import { parseTrainerSpec, TabularTrainerSpec, TRAINER_DEFAULTS, trainerSpecProblems, withTrainerDefaults } from '../../../src/training/trainer/index.js';

const minimal = { type: 'tabular', task: 'binary', label: 'delayed_15m', model: 'mlp' } as const;

describe('trainer spec', () => {
  it('fills in every default', () => {
    expect(withTrainerDefaults(minimal)).toEqual({ ...minimal, ...TRAINER_DEFAULTS, hidden: [32], exclude: [] });
    expect(TRAINER_DEFAULTS).toEqual({ hidden: [32], epochs: 30, batchSize: 256, learningRate: 0.01, l2: 0, patience: 5, validationFraction: 0.2, seed: 42 });
  });

  it('keeps what is given, and parses JSON text as the job environment carries it', () => {
    const spec = parseTrainerSpec(JSON.stringify({ ...minimal, hidden: [64, 16], epochs: 5, maxRows: 1000, features: ['a', 'b'] }));
    expect(spec).toMatchObject({ hidden: [64, 16], epochs: 5, maxRows: 1000, features: ['a', 'b'], batchSize: 256 });
  });

  it('names every bad field in one InputError', () => {
    const bad = { type: 'tabular', task: 'multiclass', label: '', model: 'mlp', epochs: 0, validationFraction: 1.5, extra: true };
    const problems = trainerSpecProblems(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^task: must be one of binary, regression \(got "multiclass"\)/),
        expect.stringMatching(/^label: /),
        expect.stringMatching(/^epochs: /),
        expect.stringMatching(/^validationFraction: /),
      ]),
    );
    expect(() => parseTrainerSpec(bad)).toThrow(InputError);
    try {
      parseTrainerSpec(bad);
    } catch (err) {
      expect((err as InputError).code).toBe('FALAJ_VALIDATION_FAILED');
      expect((err as Error).message).toMatch(/task: must be one of binary, regression.*epochs/);
    }
  });

  it('refuses text that is not JSON, an unknown model, and the label among the features', () => {
    expect(() => parseTrainerSpec('{type: tabular')).toThrow(/not valid JSON/);
    expect(() => parseTrainerSpec({ ...minimal, model: 'xgboost' })).toThrow(/model: must be one of linear, mlp/);
    expect(() => parseTrainerSpec({ ...minimal, features: ['x', 'delayed_15m'] })).toThrow(/must not include the label/);
    expect(() => parseTrainerSpec({ ...minimal, type: 'custom' })).toThrow(/type/);
  });
});

// docs/built-in-trainer.md documents the spec for users; it must say what the code does.
describe('docs/built-in-trainer.md spec table', () => {
  const doc = readFileSync(new URL('../../../docs/built-in-trainer.md', import.meta.url), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .filter((l) => /^\| `[a-zA-Z][a-zA-Z0-9]*` \|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()).slice(1, -1))
      .map(([field, fallback]) => [field!.replace(/`/g, ''), fallback!] as const),
  );

  it('lists every field of the schema, with the defaults the code applies', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(TabularTrainerSpec.properties).sort());
    for (const [field, value] of Object.entries(TRAINER_DEFAULTS)) expect(rows.get(field)?.replace(/`/g, ''), field).toBe(JSON.stringify(value).replace(/,/g, ', '));
  });
});
