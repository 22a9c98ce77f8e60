import { InputError } from '../../core/errors/index.js';
import type { OnlineFeatures } from '../../features/index.js';

export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;

/** Per entity row: every value known by name (entity keys, request-time features, the feature service's features). */
export type FeatureRow = Map<string, Scalar>;

/**
 * Normalises a request's rows: `entities` (one object or a list) and optional `features`
 * (one object for every row, or one per row).
 */
export function requestRows(entities: Row | Row[], features: Row | Row[] | undefined): { entities: Row[]; features: Row[] } {
  const ents = Array.isArray(entities) ? entities : [entities];
  let feats: Row[];
  if (features === undefined) feats = ents.map(() => ({}));
  else if (!Array.isArray(features)) feats = ents.map(() => features);
  else if (features.length !== ents.length) throw new InputError('FALAJ_PREDICTION_INPUT_INVALID', `features has ${features.length} rows, entities ${ents.length}: give one per entity row, or one object for all`);
  else feats = features;
  return { entities: ents, features: feats };
}

/**
 * Looks the feature service's features up in the online store in one round trip and
 * merges them with what the request carries. A request-time value wins over a stored one.
 * Each feature is known by its plain name and by `view__feature`; a missing, null or
 * expired stored value is null (the model decides what null means).
 */
export async function featureRows(online: OnlineFeatures, project: string, featureService: string | null, entities: Row[], features: Row[]): Promise<FeatureRow[]> {
  const rows: FeatureRow[] = entities.map((e, i) => new Map<string, Scalar>([...Object.entries(e), ...Object.entries(features[i]!)]));
  if (!featureService) return rows;
  const keys = new Set<string>();
  for (const e of entities) for (const k of Object.keys(e)) keys.add(k);
  const columns: Record<string, unknown[]> = {};
  for (const k of keys) columns[k] = entities.map((e) => e[k] ?? null);
  const answer = await online.get(project, { featureService, entities: columns, fullFeatureNames: true });
  const shortNames = new Map<string, number>();
  for (const name of answer.featureNames) {
    const short = name.includes('__') ? name.slice(name.indexOf('__') + 2) : name;
    shortNames.set(short, (shortNames.get(short) ?? 0) + 1);
  }
  answer.featureNames.forEach((name, c) => {
    const column = answer.results[c]!;
    const short = name.includes('__') ? name.slice(name.indexOf('__') + 2) : name;
    const alsoShort = short !== name && shortNames.get(short) === 1;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const value = column.statuses[r] === 'PRESENT' ? (column.values[r] as Scalar) : null;
      if (!row.has(name)) row.set(name, value);
      if (alsoShort && !row.has(short)) row.set(short, value);
    }
  });
  return rows;
}
