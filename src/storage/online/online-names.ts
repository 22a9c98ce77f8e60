import { InputError } from '../../core/errors/index.js';
import type { OnlineRow } from './online-store.js';

/**
 * Project names as the Redis key layout needs them: no `:` (it separates the key's parts)
 * and no glob characters (deleteView SCANs `<prefix>:<project>:*`). Every project name
 * Falaj accepts (`^[a-z][a-z0-9-]{0,62}$`) passes.
 */
const PROJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Rejects a project name the online key layout cannot hold unambiguously. */
export function assertOnlineProject(project: string): void {
  if (!PROJECT_PATTERN.test(project)) {
    throw new InputError('FALAJ_ONLINE_KEY_INVALID', `online store: project name ${JSON.stringify(project)} must match ${PROJECT_PATTERN.source}`);
  }
}

/**
 * Rejects an empty view name or one holding `@`: Redis keeps a view's timestamp in the
 * field `<view>@t`, so a view named `x@t` would collide with view `x`.
 */
export function assertOnlineView(view: string): void {
  if (view.length === 0 || view.includes('@')) {
    throw new InputError('FALAJ_ONLINE_KEY_INVALID', `online store: view name ${JSON.stringify(view)} must be non-empty and hold no '@'`);
  }
}

/** {@link assertOnlineView} over a list, without allocating on the hot path. */
export function assertOnlineViews(views: readonly string[]): void {
  for (let i = 0; i < views.length; i++) assertOnlineView(views[i]!);
}

/** Validates a whole batch before anything is written, so a bad row writes nothing. */
export function assertOnlineRows(rows: readonly OnlineRow[]): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    assertOnlineView(row.view);
    if (typeof row.entityKey !== 'string') {
      throw new InputError('FALAJ_ONLINE_KEY_INVALID', `online store: row ${i} has no string entityKey`);
    }
    if (!Number.isSafeInteger(row.eventTs)) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `online store: row ${i} has eventTs ${String(row.eventTs)}; it must be an integer (epoch ms)`);
    }
    if (row.values === null || typeof row.values !== 'object' || Array.isArray(row.values)) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `online store: row ${i} values must be an object of feature name to value`);
    }
  }
}
