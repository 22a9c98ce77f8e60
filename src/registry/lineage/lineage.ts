import { InputError } from '../../core/errors/index.js';
import { type Classification, CLASSIFICATIONS } from '../../security/index.js';
import type { ModelLineage } from '../model-types.js';

/** Lineage as a caller gives it: every part optional. */
export interface LineageInput {
  runId?: string | null | undefined;
  datasets?: { id: string; sha256: string }[] | undefined;
  featureService?: { name: string; version: number } | null | undefined;
  codeVersion?: string | null | undefined;
}

/**
 * Works out a version's classification from its training data: the most restrictive
 * classification of the given datasets (each one the most protected of the feature
 * views it joined). Injected, so the registry does not reach into the feature store.
 */
export type ClassificationOf = (project: string, datasetIds: readonly string[]) => Promise<Classification>;

/** No model is less protected than this, whatever its data: it is the company's work. */
export const MINIMUM_MODEL_CLASSIFICATION: Classification = 'internal';

export function mostRestrictive(...levels: Classification[]): Classification {
  return levels.reduce((a, b) => (CLASSIFICATIONS.indexOf(a) >= CLASSIFICATIONS.indexOf(b) ? a : b), 'public');
}

/** Lineage as stored: the caller's, with the run and (unless given) the run's code version filled in. */
export function normalizeLineage(input: LineageInput | undefined, runId: string | null, runCodeVersion?: string): ModelLineage {
  const datasets = input?.datasets ?? [];
  for (const d of datasets) {
    if (!d.id || !/^[0-9a-f]{64}$/.test(d.sha256)) throw new InputError('FALAJ_VALIDATION_FAILED', `lineage dataset ${d.id || '(no id)'}: needs an id and a lowercase hex SHA-256`);
  }
  if (input?.runId && runId && input.runId !== runId) {
    throw new InputError('FALAJ_VALIDATION_FAILED', `lineage.runId ${input.runId} differs from the run the model comes from (${runId})`);
  }
  return {
    runId: runId ?? input?.runId ?? null,
    datasets: datasets.map((d) => ({ id: d.id, sha256: d.sha256 })),
    featureService: input?.featureService ? { name: input.featureService.name, version: input.featureService.version } : null,
    codeVersion: input?.codeVersion ?? runCodeVersion ?? null,
  };
}
