import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTVerifyGetKey, type RemoteJWKSet } from 'jose';
import { AuthenticationError, ConfigError } from '../../core/errors/index.js';
import { readGroupsClaim, readUsernameClaim } from './oidc-claims.js';
import { discoverJwksUri, networkReason } from './oidc-discovery.js';

/** How Falaj trusts an external OpenID Connect issuer (the `auth.oidc` config block). */
export interface OidcSettings {
  /** Issuer URL, exactly as in the tokens' `iss` claim. */
  issuer: string;
  /** Accepted `aud` values; a token must carry at least one of them. */
  audience: string | string[];
  /** JWKS URL; discovered from the issuer's metadata when left out. */
  jwksUri?: string;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockSkewSeconds: number;
  /** Claim holding the groups; a dotted path (`realm_access.roles`) reaches into objects. */
  groupsClaim: string;
  /** Claim holding the username; `sub` when the token lacks it. */
  usernameClaim: string;
  /** Accepted JWS algorithms; defaults to {@link DEFAULT_OIDC_ALGORITHMS}. */
  algorithms?: string[];
}

/** Who a verified token says the caller is. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  username: string;
  groups: string[];
  /** From `exp`; undefined for a token that never expires. */
  expiresAt: Date | undefined;
  /** Every claim of the token, for policies that need more than the above. */
  claims: Record<string, unknown>;
}

/** Verifies bearer tokens issued by one OIDC issuer. */
export interface OidcVerifier {
  /**
   * Verifies signature, issuer, audience and validity period of `token`.
   * @throws AuthenticationError `FALAJ_OIDC_TOKEN_INVALID`, its message naming the
   * failed check and its `cause` the underlying error.
   */
  verify(token: string): Promise<OidcIdentity>;
}

/** Asymmetric algorithms accepted when `algorithms` is not configured; never `HS*` or `none`. */
export const DEFAULT_OIDC_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

const HTTP_TIMEOUT_MS = 5_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** True when `token` has the shape of a signed JWT: three base64url segments. */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** The JWKS could not be fetched; carries the URL and the underlying error. */
class KeySetUnavailable extends Error {
  constructor(
    readonly url: URL,
    override readonly cause: unknown,
  ) {
    super('JWKS unavailable');
  }
}

/**
 * Creates a verifier for tokens of one issuer. Nothing is fetched until the first
 * `verify`: then the JWKS URL is discovered (unless `jwksUri` is set) and cached; a
 * failed discovery is retried on the next call. Keys are cached by jose's remote
 * JWKS set, which refetches when a token names an unknown `kid` (key rotation).
 *
 * @example
 * const verifier = createOidcVerifier({
 *   issuer: 'https://sso.example.ae/realms/falaj',
 *   audience: 'falaj',
 *   clockSkewSeconds: 60,
 *   groupsClaim: 'realm_access.roles',
 *   usernameClaim: 'preferred_username',
 * });
 * const identity = await verifier.verify(bearerToken);
 */
export function createOidcVerifier(settings: OidcSettings, options: { fetch?: typeof fetch } = {}): OidcVerifier {
  if (!URL.canParse(settings.issuer)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `OIDC issuer ${JSON.stringify(settings.issuer)} is not an absolute URL`);
  }
  if (settings.jwksUri !== undefined && !URL.canParse(settings.jwksUri)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `OIDC jwksUri ${JSON.stringify(settings.jwksUri)} is not an absolute URL`);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const algorithms = [...(settings.algorithms ?? DEFAULT_OIDC_ALGORITHMS)];
  const audience = Array.isArray(settings.audience) ? [...settings.audience] : settings.audience;

  let keySet: Promise<{ url: URL; jwks: RemoteJWKSet }> | undefined;
  const loadKeySet = (): Promise<{ url: URL; jwks: RemoteJWKSet }> => {
    if (keySet) return keySet;
    const attempt = (async () => {
      const url = settings.jwksUri
        ? new URL(settings.jwksUri)
        : await discoverJwksUri(settings.issuer, fetchImpl, HTTP_TIMEOUT_MS);
      const jwks = createRemoteJWKSet(url, {
        timeoutDuration: HTTP_TIMEOUT_MS,
        [customFetch]: (input, init) => fetchImpl(input, init),
      });
      return { url, jwks };
    })();
    keySet = attempt;
    // Forget a failed discovery so the next token retries it instead of failing forever.
    attempt.catch(() => {
      if (keySet === attempt) keySet = undefined;
    });
    return attempt;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const { url, jwks } = await loadKeySet();
    try {
      return await jwks(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey ||
        err instanceof errors.JWKSMultipleMatchingKeys ||
        err instanceof errors.JOSENotSupported ||
        err instanceof errors.JOSEAlgNotAllowed
      ) {
        throw err;
      }
      throw new KeySetUnavailable(url, err);
    }
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || !looksLikeJwt(token)) {
        throw new AuthenticationError('FALAJ_OIDC_TOKEN_INVALID', 'OIDC token is malformed: expected a signed JWT');
      }
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: settings.issuer,
          audience,
          algorithms,
          clockTolerance: settings.clockSkewSeconds,
          requiredClaims: ['sub'],
        }));
      } catch (err) {
        throw toAuthenticationError(err);
      }
      const subject = payload.sub as string;
      return {
        issuer: payload.iss as string,
        subject,
        username: readUsernameClaim(payload, settings.usernameClaim, subject),
        groups: readGroupsClaim(payload, settings.groupsClaim),
        expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined,
        claims: payload,
      };
    },
  };
}

/** Names the failed check; jose's own messages never quote the token or claim values. */
function toAuthenticationError(err: unknown): AuthenticationError {
  // Discovery failures arrive already translated.
  if (err instanceof AuthenticationError) return err;
  const fail = (message: string, cause: unknown = err) =>
    new AuthenticationError('FALAJ_OIDC_TOKEN_INVALID', message, { cause });

  if (err instanceof KeySetUnavailable) {
    const reason = err.cause instanceof errors.JOSEError ? err.cause.message : networkReason(err.cause);
    return fail(`OIDC signing keys could not be fetched from ${err.url.href}: ${reason}`, err.cause);
  }
  if (err instanceof errors.JWTExpired) return fail('OIDC token expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return fail(`OIDC token is missing the "${err.claim}" claim`);
    switch (err.claim) {
      case 'iss':
        return fail('OIDC token issuer mismatch');
      case 'aud':
        return fail('OIDC token audience mismatch');
      case 'nbf':
        return fail('OIDC token is not valid yet (nbf is in the future)');
      case 'iat':
        return fail('OIDC token issued-at time (iat) is in the future');
      default:
        return fail(`OIDC token claim "${err.claim}" is not valid`);
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return fail('OIDC token signature verification failed');
  if (err instanceof errors.JWKSNoMatchingKey) return fail('OIDC token is signed with a key the issuer does not publish');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return fail('OIDC token key is ambiguous: several issuer keys match');
  if (err instanceof errors.JOSEAlgNotAllowed) return fail('OIDC token algorithm is not allowed');
  if (err instanceof errors.JOSENotSupported) return fail('OIDC token uses an unsupported algorithm or key type');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return fail('OIDC token is malformed');
  return fail('OIDC token could not be verified');
}
