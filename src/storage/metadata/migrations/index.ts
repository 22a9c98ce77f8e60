import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-feature-store.js';
import * as m0003 from './0003-tracking.js';
import * as m0004 from './0004-artifacts.js';
import * as m0005 from './0005-registry.js';
import * as m0006 from './0006-training.js';

/**
 * Every migration, in order. Each later domain appends its own file here; names never
 * change once shipped (they are the keys in `kysely_migration`).
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-feature-store': m0002,
  '0003-tracking': m0003,
  '0004-artifacts': m0004,
  '0005-registry': m0005,
  '0006-training': m0006,
};
