import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { InputError } from '../../core/errors/index.js';

/**
 * The built-in tabular trainer's spec: the `trainer:` block of a TrainingJob, passed to
 * the job as `FALAJ_TRAINER_SPEC`. Every field but `type`, `task`, `label` and `model`
 * has a default (see {@link TRAINER_DEFAULTS}); docs/built-in-trainer.md explains each.
 */
const Column = Type.String({ minLength: 1, maxLength: 256 });

export const TabularTrainerSpec = Type.Object(
  {
    type: Type.Literal('tabular'),
    task: Type.Union([Type.Literal('binary'), Type.Literal('regression')], { description: 'binary classification or regression' }),
    /** the label column of the training set (from the spine) */
    label: Column,
    /** feature columns, in the order the model takes them; default every numeric or boolean column but the label and timestamps */
    features: Type.Optional(Type.Array(Column, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
    /** columns left out of the default feature list (e.g. numeric entity keys) */
    exclude: Type.Optional(Type.Array(Column, { maxItems: 10_000 })),
    /** `linear`: logistic regression (binary) or linear regression; `mlp`: ReLU hidden layers */
    model: Type.Union([Type.Literal('linear'), Type.Literal('mlp')]),
    /** MLP hidden layer widths */
    hidden: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { minItems: 1, maxItems: 8 })),
    epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    learningRate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
    /** L2 penalty on weights (not biases): (l2 / 2) · ‖W‖² added to the mean batch loss */
    l2: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    /** epochs without a better validation loss before stopping */
    patience: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /** share of rows held out for validation: the latest by `event_timestamp`, else a hash split */
    validationFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.9 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 })),
    /** train on a deterministic sample of at most this many rows */
    maxRows: Type.Optional(Type.Integer({ minimum: 2, maximum: 1_000_000_000 })),
  },
  { additionalProperties: false },
);
export type TabularTrainerSpec = Static<typeof TabularTrainerSpec>;

export const TRAINER_DEFAULTS = {
  hidden: [32],
  epochs: 30,
  batchSize: 256,
  learningRate: 0.01,
  l2: 0,
  patience: 5,
  validationFraction: 0.2,
  seed: 42,
} as const;

/** A spec with every default filled in: what the trainer actually runs (and logs as params). */
export type ResolvedTrainerSpec = Omit<TabularTrainerSpec, keyof typeof TRAINER_DEFAULTS | 'exclude'> & {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  patience: number;
  validationFraction: number;
  seed: number;
  exclude: string[];
};

/** Fills in the defaults. `hidden` is kept for `linear` models only as a no-op (it is ignored). */
export function withTrainerDefaults(spec: TabularTrainerSpec): ResolvedTrainerSpec {
  return {
    ...spec,
    hidden: spec.hidden ? [...spec.hidden] : [...TRAINER_DEFAULTS.hidden],
    epochs: spec.epochs ?? TRAINER_DEFAULTS.epochs,
    batchSize: spec.batchSize ?? TRAINER_DEFAULTS.batchSize,
    learningRate: spec.learningRate ?? TRAINER_DEFAULTS.learningRate,
    l2: spec.l2 ?? TRAINER_DEFAULTS.l2,
    patience: spec.patience ?? TRAINER_DEFAULTS.patience,
    validationFraction: spec.validationFraction ?? TRAINER_DEFAULTS.validationFraction,
    seed: spec.seed ?? TRAINER_DEFAULTS.seed,
    exclude: spec.exclude ? [...spec.exclude] : [],
  };
}

/**
 * Validates a trainer spec (an object, or its JSON text) and fills in the defaults.
 * Every problem is listed in one message.
 *
 * @throws InputError `FALAJ_VALIDATION_FAILED` naming each bad field
 * @example
 * parseTrainerSpec('{"type":"tabular","task":"binary","label":"delayed","model":"mlp"}').epochs; // 30
 */
export function parseTrainerSpec(input: unknown): ResolvedTrainerSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `trainer spec is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  const problems = trainerSpecProblems(value);
  if (problems.length > 0) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `trainer spec is not valid: ${problems.join('; ')}`, { details: { problems } });
  }
  const spec = withTrainerDefaults(value as TabularTrainerSpec);
  if (spec.features?.includes(spec.label)) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `trainer spec is not valid: features must not include the label "${spec.label}"`);
  }
  return spec;
}

/** One line per invalid field, `path: reason`; empty when the spec is valid. */
export function trainerSpecProblems(value: unknown): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const p of Value.Errors(TabularTrainerSpec, value)) {
    const path = p.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    if (seen.has(path)) continue; // unions report one error per branch; the first says enough
    seen.add(path);
    const options = (p.schema as { anyOf?: { const?: unknown }[] }).anyOf;
    const literals = options?.every((o) => o.const !== undefined) ? options.map((o) => String(o.const)) : undefined;
    problems.push(literals ? `${path}: must be one of ${literals.join(', ')} (got ${JSON.stringify(p.value)})` : `${path}: ${p.message}`);
  }
  return problems;
}
