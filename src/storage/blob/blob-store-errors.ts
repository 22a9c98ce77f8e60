import { NotFoundError, UnavailableError } from '../../core/errors/index.js';

/** The error every store raises for a missing key. `location` must be free of secrets. */
export function blobNotFound(key: string, location: string): NotFoundError {
  return new NotFoundError('FALAJ_BLOB_NOT_FOUND', `no blob ${JSON.stringify(key)} in ${location}. Check the key; list the store to see what it holds.`, {
    details: { key, location },
  });
}

/**
 * The error every store raises when its storage cannot serve a call (down, unreachable,
 * timed out, refusing the credentials). `location` must already be free of secrets; every
 * string in `secrets` is masked in the reason, and the storage's own error is kept only as
 * name and masked message, since SDK errors may carry request details.
 */
export function blobStoreUnavailable(location: string, err: unknown, secrets: readonly (string | undefined)[] = []): UnavailableError {
  const reason = mask(describe(err), secrets).replace(/[.\s]+$/, '');
  const cause = new Error(reason);
  if (err instanceof Error) cause.name = err.name;
  return new UnavailableError(
    'FALAJ_BLOB_STORE_UNAVAILABLE',
    `blob store ${location} cannot serve the request: ${reason}. Check that the storage is running and reachable, and that the blob store URL and credentials are right.`,
    { cause, details: { location } },
  );
}

function mask(text: string, secrets: readonly (string | undefined)[]): string {
  let masked = text;
  for (const secret of secrets) {
    if (secret) masked = masked.split(secret).join('***');
  }
  return masked;
}

/** A one-line reason: Node's network errors may have an empty message and only a code. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  const inner = err instanceof AggregateError ? err.errors.find((e): e is Error => e instanceof Error) : undefined;
  return err.message || inner?.message || (typeof code === 'string' ? code : '') || err.name;
}
