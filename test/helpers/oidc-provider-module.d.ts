/**
 * The slice of `oidc-provider` (which ships no TypeScript types) that the test helper
 * in `oidc-provider.ts` uses. Widen it here when a test needs more of the API.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** An OpenID Provider; `configuration` follows the package's docs/README.md. */
  export class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
