import { atLeast, type Classification } from './classification.js';

export interface RegionInfo {
  inCountry: boolean;
}

/** A place data can be written to: a storage backend and its region label. */
export interface StoreLocation {
  /** e.g. `online`, `offline`, `blob`, `metadata`, or a named store */
  store: string;
  region: string;
}

export interface ResidencyQuestion {
  classification: Classification;
  target: StoreLocation;
  /** the project's allowed regions */
  allowedRegions: readonly string[];
  /** every region declared in config */
  regions: Readonly<Record<string, RegionInfo>>;
}

/**
 * The UAE PDPL residency rule as code. Returns why the write is refused, or undefined
 * when it is allowed:
 * - `public` data may be written anywhere;
 * - anything above `public` only to a store whose region is among the project's
 *   allowed regions (and declared in config);
 * - `sensitive-personal` data only to a region flagged as in-country as well.
 */
export function residencyViolation(q: ResidencyQuestion): string | undefined {
  if (q.classification === 'public') return undefined;
  const { store, region } = q.target;
  const info = q.regions[region];
  if (!info) return `the ${store} store is in region "${region}", which is not declared in config, so ${q.classification} data may not be written there`;
  if (!q.allowedRegions.includes(region)) {
    return `${q.classification} data may not be written to the ${store} store in region "${region}": the project allows only ${q.allowedRegions.join(', ')}`;
  }
  if (atLeast(q.classification, 'sensitive-personal') && !info.inCountry) {
    return `sensitive personal data may only be stored in-country, and region "${region}" (${store} store) is not flagged in-country`;
  }
  return undefined;
}
