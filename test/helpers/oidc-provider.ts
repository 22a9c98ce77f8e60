import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

/** Options for {@link startOidcProvider}. */
export interface TestOidcProviderOptions {
  /** Groups put in every token unless `mintAccessToken` names others. Default `[]`. */
  groups?: string[];
  /** Default resource indicator, hence token audience; an absolute URI. Default `urn:falaj:api`. */
  audience?: string;
  /** Where the groups go; a dotted path nests them (`realm_access.roles`). Default `groups`. */
  groupsClaim?: string;
  /** Token lifetime unless `mintAccessToken` names one. Default 300. */
  accessTokenTtlSeconds?: number;
}

/** Options for one token. */
export interface MintAccessTokenOptions {
  groups?: string[];
  /** Lifetime of this token, whole seconds ≥ 1. */
  expiresInSeconds?: number;
  /** Resource indicator to request, hence the token's `aud`; an absolute URI. */
  audience?: string;
}

/** A running OpenID Provider for tests. */
export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>`, the tokens' `iss`. */
  issuer: string;
  /** The default audience of minted tokens. */
  audience: string;
  /** The confidential client that mints tokens; the tokens' `sub` and `client_id`. */
  clientId: string;
  groupsClaim: string;
  /** Requests a JWT access token over HTTP with the client_credentials grant. */
  mintAccessToken(options?: MintAccessTokenOptions): Promise<string>;
  close(): Promise<void>;
}

// Per-token settings travel as request headers so concurrent mints never share state;
// oidc-provider hands the Koa context to getResourceServerInfo and extraTokenClaims.
const GROUPS_HEADER = 'x-falaj-test-groups';
const TTL_HEADER = 'x-falaj-test-ttl';

interface KoaContext {
  get(field: string): string;
}

let providerModule: Promise<typeof import('oidc-provider')> | undefined;

/**
 * oidc-provider 9 prints "Unsupported runtime" on import under Node 20 (it targets
 * Node 22+, yet works on 20.19+); keep that one line out of test output.
 */
function loadProviderModule(): Promise<typeof import('oidc-provider')> {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return providerModule;
}

/**
 * Storage for one model of the provider's stateful artefacts, per provider instance and gone
 * with it. Setting an adapter also keeps oidc-provider from warning about its own
 * development-only default.
 */
class MapAdapter {
  private readonly entries = new Map<string, Record<string, unknown>>();

  async upsert(id: string, payload: Record<string, unknown>): Promise<void> {
    this.entries.set(id, payload);
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    return this.entries.get(id);
  }
  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    return [...this.entries.values()].find((payload) => payload.uid === uid);
  }
  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    return [...this.entries.values()].find((payload) => payload.userCode === userCode);
  }
  async consume(id: string): Promise<void> {
    const payload = this.entries.get(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    this.entries.delete(id);
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, payload] of this.entries) if (payload.grantId === grantId) this.entries.delete(id);
  }
}

/** `{ a: { b: value } }` for path `a.b`. */
function nestClaim(path: string, value: unknown): Record<string, unknown> {
  let nested = value;
  for (const segment of path.split('.').reverse()) nested = { [segment]: nested };
  return nested as Record<string, unknown>;
}

/**
 * Starts a real `oidc-provider` on 127.0.0.1 (random port) with one confidential
 * client allowed the client_credentials grant. Resource indicators make its access
 * tokens RS256-signed JWTs whose `aud` is the requested resource; discovery and JWKS
 * are served at the usual paths.
 *
 * @example
 * const idp = await startOidcProvider({ groups: ['ml-team'] });
 * const token = await idp.mintAccessToken({ expiresInSeconds: 1 });
 * await idp.close();
 */
export async function startOidcProvider(options: TestOidcProviderOptions = {}): Promise<TestOidcProvider> {
  const { Provider } = await loadProviderModule();
  const audience = options.audience ?? 'urn:falaj:api';
  const groupsClaim = options.groupsClaim ?? 'groups';
  const defaultGroups = options.groups ?? [];
  const defaultTtl = options.accessTokenTtlSeconds ?? 300;
  const clientId = 'falaj-test-client';
  const clientSecret = randomBytes(24).toString('base64url');

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomBytes(6).toString('hex'), alg: 'RS256', use: 'sig' };

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const adapters = new Map<string, MapAdapter>();
  const provider = new Provider(issuer, {
    adapter: (model: string) => {
      let adapter = adapters.get(model);
      if (!adapter) adapters.set(model, (adapter = new MapAdapter()));
      return adapter;
    },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: KoaContext, resourceIndicator: string) => ({
          scope: 'api',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: Number(ctx.get(TTL_HEADER)) || defaultTtl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? defaultTtl,
    },
    extraTokenClaims: async (ctx: KoaContext) => {
      const header = ctx.get(GROUPS_HEADER);
      const groups = header ? (JSON.parse(header) as string[]) : defaultGroups;
      return nestClaim(groupsClaim, groups);
    },
  });
  server.on('request', provider.callback());

  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');

  return {
    issuer,
    audience,
    clientId,
    groupsClaim,
    async mintAccessToken(mint = {}) {
      const headers: Record<string, string> = {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      };
      if (mint.groups) headers[GROUPS_HEADER] = JSON.stringify(mint.groups);
      if (mint.expiresInSeconds !== undefined) headers[TTL_HEADER] = String(mint.expiresInSeconds);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: mint.audience ?? audience }),
      });
      const body = (await response.json()) as { access_token?: unknown; error?: unknown; error_description?: unknown };
      if (response.status !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`token request failed with ${response.status}: ${String(body.error)} ${String(body.error_description)}`);
      }
      return body.access_token;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
