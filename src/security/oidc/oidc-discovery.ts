import { AuthenticationError } from '../../core/errors/index.js';

/**
 * Finds the issuer's JWKS URL from its OpenID Provider metadata
 * (`<issuer>/.well-known/openid-configuration`, OpenID Connect Discovery 1.0 §4).
 *
 * Throws `AuthenticationError` (`FALAJ_OIDC_TOKEN_INVALID`) naming what went wrong:
 * the issuer is unreachable, answers other than 200, sends something that is not
 * metadata, or claims a different issuer (§4.3 requires them to be identical).
 */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch, timeoutMs: number): Promise<URL> {
  const metadataUrl = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const fail = (reason: string, cause?: unknown): AuthenticationError =>
    new AuthenticationError('FALAJ_OIDC_TOKEN_INVALID', `OIDC discovery failed at ${metadataUrl}: ${reason}`, { cause });

  let response: Response;
  try {
    response = await fetchImpl(metadataUrl, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw fail(`issuer is unreachable (${networkReason(err)})`, err);
  }
  if (response.status !== 200) {
    // Drain the body so the connection can be reused.
    await response.body?.cancel().catch(() => undefined);
    throw fail(`expected HTTP 200, got ${response.status}`);
  }

  let metadata: unknown;
  try {
    metadata = await response.json();
  } catch (err) {
    throw fail('response is not JSON', err);
  }
  if (metadata === null || typeof metadata !== 'object') throw fail('response is not a metadata object');
  const { issuer: advertised, jwks_uri: jwksUri } = metadata as Record<string, unknown>;
  if (advertised !== issuer) {
    throw fail(`metadata names issuer ${JSON.stringify(advertised)}, expected ${JSON.stringify(issuer)}`);
  }
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw fail('metadata has no valid jwks_uri');
  return new URL(jwksUri);
}

/** A short, secret-free description of a failed fetch: `ECONNREFUSED`, `timed out`, … */
export function networkReason(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const cause = err.cause as { code?: unknown } | undefined;
    if (cause && typeof cause.code === 'string') return cause.code;
    return err.message;
  }
  return String(err);
}
