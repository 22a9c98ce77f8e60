import { UnprocessableError } from '../../core/errors/index.js';
import type { ResolvedTrainerSpec } from './spec.js';

/** A column of the training set, as DuckDB's `DESCRIBE` reports it. */
export interface TrainingColumn {
  name: string;
  /** DuckDB type name: `DOUBLE`, `BIGINT`, `BOOLEAN`, `DECIMAL(9,2)`, `VARCHAR`, `TIMESTAMP`, … */
  type: string;
}

/** Columns a training set carries that are never features by default. */
export const TIME_COLUMNS = ['event_timestamp', 'created_timestamp'] as const;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?|BOOLEAN)$/i;

/** True for the types the trainer reads as numbers: integers, floats, decimals and booleans (0/1). */
export function isNumericColumn(type: string): boolean {
  return NUMERIC.test(type.trim());
}

/** True when `event_timestamp` can order rows in time. */
export function isTimeColumn(type: string): boolean {
  return /^(TIMESTAMP|DATE)/i.test(type.trim());
}

/**
 * The features the model takes, in order: `spec.features` as given, else every numeric
 * or boolean column except the label, the timestamps and `spec.exclude`, in file order.
 *
 * @throws UnprocessableError `FALAJ_TRAINING_SET_INVALID` naming a missing or non-numeric column
 */
export function selectFeatureColumns(columns: readonly TrainingColumn[], spec: Pick<ResolvedTrainerSpec, 'label' | 'features' | 'exclude' | 'task'>): string[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const label = byName.get(spec.label);
  if (!label) throw trainingSetInvalid(`the label column "${spec.label}" is not in the training set (columns: ${columns.map((c) => c.name).join(', ')})`);
  if (!isNumericColumn(label.type)) {
    throw trainingSetInvalid(`the label column "${spec.label}" is ${label.type}; a ${spec.task} label must be ${spec.task === 'binary' ? 'BOOLEAN or numeric 0/1' : 'numeric'}`);
  }
  if (spec.features) {
    for (const name of spec.features) {
      const column = byName.get(name);
      if (!column) throw trainingSetInvalid(`feature "${name}" is not a column of the training set`);
      if (!isNumericColumn(column.type)) throw trainingSetInvalid(`feature "${name}" is ${column.type}; the tabular trainer takes numeric and boolean features only`);
    }
    return [...spec.features];
  }
  const skip = new Set<string>([spec.label, ...TIME_COLUMNS, ...spec.exclude]);
  const features = columns.filter((c) => !skip.has(c.name) && isNumericColumn(c.type)).map((c) => c.name);
  if (features.length === 0) throw trainingSetInvalid('the training set has no numeric or boolean feature columns besides the label');
  return features;
}

export function trainingSetInvalid(message: string): UnprocessableError {
  return new UnprocessableError('FALAJ_TRAINING_SET_INVALID', message);
}
