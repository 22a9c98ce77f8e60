import { UnavailableError } from '../../core/errors/index.js';

/**
 * The error every online store raises when its engine cannot serve a call (down,
 * unreachable, timed out, closed). `location` must already be free of secrets; the
 * engine's own error is kept only as name and message, since driver errors may carry
 * command arguments (an AUTH password among them).
 */
export function onlineStoreUnavailable(location: string, err: unknown): UnavailableError {
  const reason = err instanceof Error ? err.message : String(err);
  const cause = new Error(reason);
  if (err instanceof Error) cause.name = err.name;
  return new UnavailableError(
    'FALAJ_ONLINE_STORE_UNAVAILABLE',
    `online store ${location} cannot serve the request: ${reason}. Check that the engine is running and reachable, and that the online store URL is right.`,
    { cause, details: { location } },
  );
}
