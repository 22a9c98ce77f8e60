import { InputError, UnavailableError } from '../../core/errors/index.js';

/**
 * The error every broker adapter raises when its broker cannot serve a call (down,
 * unreachable, timed out, closed). `location` must already be free of secrets; the
 * driver's error is kept only as name and message, since driver errors may carry
 * connection settings.
 */
export function streamUnavailable(location: string, err: unknown): UnavailableError {
  const reason = err instanceof Error ? err.message : String(err);
  const cause = new Error(reason);
  if (err instanceof Error) cause.name = err.name;
  return new UnavailableError(
    'FALAJ_STREAM_UNAVAILABLE',
    `stream broker ${location} cannot serve the request: ${reason}. Check that the broker is running and reachable, and that the stream URL is right.`,
    { cause, details: { location } },
  );
}

/** A stream, subject, group or consumer name (or other setting) the brokers cannot use. */
export function invalidStreamSettings(setting: string, value: unknown, rule: string): InputError {
  return new InputError('FALAJ_STREAM_CONFIG_INVALID', `stream source: ${setting} ${JSON.stringify(value)} is not valid: ${rule}.`, {
    details: { setting },
  });
}
