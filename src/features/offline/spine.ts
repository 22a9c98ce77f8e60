import { InputError } from '../../core/errors/index.js';
import type { TrainingColumn, ViewRequest } from './training-columns.js';
import { INTERNAL_PREFIX } from './view-source-sql.js';

/** The spine column every entity row must carry: the time to look features up as of. */
export const EVENT_TIMESTAMP = 'event_timestamp';

/** A column of the spine, as DuckDB's `DESCRIBE` reports it. */
export interface SpineColumn {
  name: string;
  type: string;
}

const TIME_TYPES = /^(TIMESTAMP.*|DATE|VARCHAR)$/;

/**
 * Checks a spine before any work is done: it has `event_timestamp` (a timestamp, a date
 * or ISO-8601 text) and every join key of every view, no internal column names, and no
 * column that a feature column would shadow.
 */
export function checkSpine(spine: readonly SpineColumn[], views: readonly ViewRequest[], columns: readonly TrainingColumn[]): void {
  const byName = new Map(spine.map((c) => [c.name.toLowerCase(), c]));
  const fail = (message: string, details: Record<string, unknown>): never => {
    throw new InputError('FALAJ_SPINE_INVALID', message, { details });
  };
  const ts = byName.get(EVENT_TIMESTAMP);
  if (!ts) fail(`the spine has no ${EVENT_TIMESTAMP} column: add the time each row's features are wanted as of`, { missing: [EVENT_TIMESTAMP] });
  else if (!TIME_TYPES.test(ts.type)) {
    fail(`the spine's ${EVENT_TIMESTAMP} is ${ts.type}: use a timestamp, a date or ISO-8601 text`, { column: EVENT_TIMESTAMP, type: ts.type });
  }
  const missing = [...new Set(views.flatMap((v) => v.view.joinKeys))].filter((k) => !byName.has(k.toLowerCase()));
  if (missing.length > 0) fail(`the spine lacks join key column(s) ${missing.join(', ')} that the requested feature views need`, { missing });
  const internal = spine.filter((c) => c.name.toLowerCase().startsWith(INTERNAL_PREFIX)).map((c) => c.name);
  if (internal.length > 0) fail(`spine column(s) ${internal.join(', ')} use the reserved prefix ${INTERNAL_PREFIX}: rename them`, { columns: internal });
  const clashes = columns.filter((c) => byName.has(c.name.toLowerCase())).map((c) => byName.get(c.name.toLowerCase())!.name);
  if (clashes.length > 0) {
    fail(`spine column(s) ${clashes.join(', ')} have the name of a requested feature: rename them or ask for full feature names (view__feature)`, { columns: clashes });
  }
}
