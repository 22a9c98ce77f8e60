import type { AggregationFunction, FeatureSpec, ValueType } from './spec.schema.js';

const NUMERIC: readonly ValueType[] = ['int32', 'int64', 'float32', 'float64'];

/**
 * The types an aggregation may declare, given the function. `count` is an integer,
 * `mean` and `stddev` are floating point, `sum` any number; `min`, `max` and `last`
 * keep the column's type, which the source decides.
 */
const ALLOWED_TYPES: Record<AggregationFunction, readonly ValueType[]> = {
  count: ['int64', 'int32'],
  mean: ['float64', 'float32'],
  stddev: ['float64', 'float32'],
  sum: NUMERIC,
  min: ['int32', 'int64', 'float32', 'float64', 'string', 'timestamp'],
  max: ['int32', 'int64', 'float32', 'float64', 'string', 'timestamp'],
  last: ['int32', 'int64', 'float32', 'float64', 'string', 'bool', 'timestamp'],
};

/** Problems with one feature's declaration, in the words a user needs to fix it. */
export function featureProblems(feature: FeatureSpec): string[] {
  const problems: string[] = [];
  if (feature.column && feature.aggregation) {
    problems.push(`feature ${feature.name}: give either column or aggregation, not both`);
  }
  const agg = feature.aggregation;
  if (agg && !ALLOWED_TYPES[agg.function].includes(feature.type)) {
    problems.push(`feature ${feature.name}: a ${agg.function} aggregation cannot have type ${feature.type} (use ${ALLOWED_TYPES[agg.function].join(' or ')})`);
  }
  return problems;
}

/** A type change that breaks readers of a feature (anything but widening int32 → int64 or float32 → float64). */
export function isBreakingTypeChange(from: ValueType, to: ValueType): boolean {
  if (from === to) return false;
  return !((from === 'int32' && to === 'int64') || (from === 'float32' && to === 'float64'));
}
