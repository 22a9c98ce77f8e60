export {
  createOidcVerifier,
  looksLikeJwt,
  DEFAULT_OIDC_ALGORITHMS,
  type OidcSettings,
  type OidcIdentity,
  type OidcVerifier,
} from './oidc-verifier.js';
export { readClaim, readGroupsClaim, readUsernameClaim } from './oidc-claims.js';
