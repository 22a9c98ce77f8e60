export * from './rbac/index.js';
export * from './audit/index.js';
export * from './projects/index.js';
export * from './identity/index.js';
export * from './policy/index.js';
export * from './http/index.js';
export { createOidcVerifier, type OidcVerifier } from './oidc/index.js';
