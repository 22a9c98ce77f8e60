import { AuthenticationError } from '../../core/errors/index.js';
import { looksLikeJwt, type OidcVerifier } from '../oidc/index.js';
import type { Principal } from '../rbac/index.js';
import type { OidcPrincipals } from './oidc-principals.js';
import type { TokenService } from './token.service.js';

/**
 * Turns an `Authorization` header into a principal: a Falaj API token (`flj_…`) or, when
 * OIDC is configured, a JWT verified against the issuer's keys.
 */
export class Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly oidc?: { verifier: OidcVerifier; principals: OidcPrincipals },
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) {
      throw new AuthenticationError('FALAJ_UNAUTHENTICATED', 'send "Authorization: Bearer <token>" (an API token or an OIDC access token)');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AuthenticationError('FALAJ_UNAUTHENTICATED', 'the Authorization header must use the Bearer scheme');
    const credential = match[1]!;
    if (!looksLikeJwt(credential)) return this.tokens.authenticate(credential);
    if (!this.oidc) {
      throw new AuthenticationError('FALAJ_OIDC_NOT_CONFIGURED', 'a JWT was sent but OIDC is not configured: set security.oidc');
    }
    const identity = await this.oidc.verifier.verify(credential);
    return this.oidc.principals.resolve(identity);
  }
}
