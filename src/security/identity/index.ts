export { TokenService, type TokenInfo, type CreateTokenInput } from './token.service.js';
export { Authenticator } from './authenticator.js';
export { OidcPrincipals } from './oidc-principals.js';
export { TOKEN_PREFIX, looksLikeApiToken } from './token-secret.js';
