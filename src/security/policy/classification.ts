import { InputError } from '../../core/errors/index.js';

/**
 * Data classification levels, least to most protected. Every dataset and feature view
 * carries one; the residency rules below decide where each level may be written.
 */
export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'personal', 'sensitive-personal'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export function isClassification(value: string): value is Classification {
  return (CLASSIFICATIONS as readonly string[]).includes(value);
}

export function parseClassification(value: string): Classification {
  if (isClassification(value)) return value;
  throw new InputError('FALAJ_CLASSIFICATION_UNKNOWN', `unknown classification "${value}": use one of ${CLASSIFICATIONS.join(', ')}`);
}

/** `a` is at least as protected as `b`. */
export function atLeast(a: Classification, b: Classification): boolean {
  return CLASSIFICATIONS.indexOf(a) >= CLASSIFICATIONS.indexOf(b);
}
