import type { Migration } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-feature-store.js';
import * as m0003 from './0003-tracking.js';
import * as m0004 from './0004-artifacts.js';
import * as m0005 from './0005-registry.js';
import * as m0006 from './0006-training.js';
import * as m0007 from './0007-serving.js';
import * as m0008 from './0008-lineage.js';
import * as m0009 from './0009-ingestion.js';
import * as m0010 from './0010-stream-tiles.js';
import * as m0011 from './0011-lineage-outbox.js';

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
  '0007-serving': m0007,
  '0008-lineage': m0008,
  '0009-ingestion': m0009,
  '0010-stream-tiles': m0010,
  '0011-lineage-outbox': m0011,
};
