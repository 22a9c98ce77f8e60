import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../../src/core/errors/index.js';
import { createOidcVerifier, looksLikeJwt, type OidcSettings } from '../../../src/security/oidc/index.js';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';

/** Awaits a rejection and checks it is the one error verify may throw. */
async function verifyFailure(promise: Promise<unknown>): Promise<AuthenticationError> {
  const err = await promise.then(
    () => {
      throw new Error('expected verify to reject');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthenticationError);
  expect((err as AuthenticationError).code).toBe('FALAJ_OIDC_TOKEN_INVALID');
  return err as AuthenticationError;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

/** Replaces the payload segment, keeping the original signature. */
function withPayload(token: string, change: (payload: JWTPayload) => JWTPayload): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const changed = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload);
  return [header, Buffer.from(JSON.stringify(changed)).toString('base64url'), signature].join('.');
}

describe('createOidcVerifier against a real oidc-provider', () => {
  let idp: TestOidcProvider;
  const settings = (overrides: Partial<OidcSettings> = {}): OidcSettings => ({
    issuer: idp.issuer,
    audience: idp.audience,
    clockSkewSeconds: 0,
    groupsClaim: 'groups',
    usernameClaim: 'preferred_username',
    ...overrides,
  });

  beforeAll(async () => {
    idp = await startOidcProvider({ groups: ['ml-team', 'auditors'] });
  });
  afterAll(async () => {
    await idp.close();
  });

  it('verifies a token, discovering the JWKS, and returns the identity', async () => {
    const token = await idp.mintAccessToken();
    const before = Date.now();
    const identity = await createOidcVerifier(settings()).verify(token);

    expect(identity.issuer).toBe(idp.issuer);
    expect(identity.subject).toBe(idp.clientId);
    // Client-credentials tokens carry no preferred_username: the username falls back to sub.
    expect(identity.username).toBe(idp.clientId);
    expect(identity.groups).toEqual(['ml-team', 'auditors']);
    expect(identity.claims.client_id).toBe(idp.clientId);
    expect(identity.expiresAt!.getTime()).toBeGreaterThan(before + 200_000);
  });

  it('returns the groups of each token and accepts any one of several audiences', async () => {
    const verifier = createOidcVerifier(settings({ audience: ['urn:falaj:other', idp.audience] }));
    const identity = await verifier.verify(await idp.mintAccessToken({ groups: ['deployers'] }));
    expect(identity.groups).toEqual(['deployers']);
  });

  it('reads groups from a dotted claim path (Keycloak realm_access.roles)', async () => {
    const keycloakLike = await startOidcProvider({ groupsClaim: 'realm_access.roles', groups: ['admin', 'viewer'] });
    try {
      const token = await keycloakLike.mintAccessToken();
      const identity = await createOidcVerifier({
        ...settings(),
        issuer: keycloakLike.issuer,
        audience: keycloakLike.audience,
        groupsClaim: 'realm_access.roles',
      }).verify(token);
      expect(identity.claims.realm_access).toEqual({ roles: ['admin', 'viewer'] });
      expect(identity.groups).toEqual(['admin', 'viewer']);
    } finally {
      await keycloakLike.close();
    }
  });

  it('rejects a token for another audience', async () => {
    const token = await idp.mintAccessToken();
    const err = await verifyFailure(createOidcVerifier(settings({ audience: 'urn:falaj:other' })).verify(token));
    expect(err.message).toBe('OIDC token audience mismatch');
    expect(err.cause).toBeInstanceOf(Error);

    const otherResource = await idp.mintAccessToken({ audience: 'urn:falaj:other' });
    expect((await verifyFailure(createOidcVerifier(settings()).verify(otherResource))).message).toBe(
      'OIDC token audience mismatch',
    );
  });

  it('rejects a token from another issuer even when its signature verifies', async () => {
    const token = await idp.mintAccessToken();
    const verifier = createOidcVerifier(settings({ issuer: 'https://sso.example.ae', jwksUri: `${idp.issuer}/jwks` }));
    expect((await verifyFailure(verifier.verify(token))).message).toBe('OIDC token issuer mismatch');
  });

  it('rejects an issuer whose discovery metadata names a different issuer', async () => {
    const verifier = createOidcVerifier(settings({ issuer: `${idp.issuer}/` }));
    const err = await verifyFailure(verifier.verify(await idp.mintAccessToken()));
    expect(err.message).toMatch(/^OIDC discovery failed at .*: metadata names issuer/);
  });

  it('rejects a token signed with a key the issuer does not publish', async () => {
    const real = await idp.mintAccessToken();
    const { kid } = decodeProtectedHeader(real);
    const { privateKey } = await generateKeyPair('RS256');
    const forge = (headerKid: string | undefined) =>
      new SignJWT({ groups: ['admin'] })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...(headerKid ? { kid: headerKid } : {}) })
        .setIssuer(idp.issuer)
        .setAudience(idp.audience)
        .setSubject(idp.clientId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    const verifier = createOidcVerifier(settings());

    // Same kid as the provider's key: the key is found, the signature does not match.
    expect((await verifyFailure(verifier.verify(await forge(kid)))).message).toBe(
      'OIDC token signature verification failed',
    );
    expect((await verifyFailure(verifier.verify(await forge('unknown-kid')))).message).toBe(
      'OIDC token is signed with a key the issuer does not publish',
    );
  });

  it('rejects a token whose payload was tampered with', async () => {
    const token = await idp.mintAccessToken({ groups: ['viewers'] });
    const tampered = withPayload(token, (payload) => ({ ...payload, groups: ['admins'] }));
    const err = await verifyFailure(createOidcVerifier(settings()).verify(tampered));
    expect(err.message).toBe('OIDC token signature verification failed');
  });

  it('rejects an expired token, within the clock skew it still verifies', async () => {
    const token = await idp.mintAccessToken({ expiresInSeconds: 1 });
    await sleep(2_100);
    const err = await verifyFailure(createOidcVerifier(settings({ clockSkewSeconds: 0 })).verify(token));
    expect(err.message).toBe('OIDC token expired');
    await expect(createOidcVerifier(settings({ clockSkewSeconds: 60 })).verify(token)).resolves.toMatchObject({
      subject: idp.clientId,
    });
  });

  it('rejects malformed tokens without naming them in the message', async () => {
    const verifier = createOidcVerifier(settings());
    for (const garbage of ['', 'not-a-jwt', 'Bearer abc.def.ghi', 'aaaa.bbbb.cccc', 'eyJhbGciOiJub25lIn0.e30.']) {
      const err = await verifyFailure(verifier.verify(garbage));
      expect(err.message).toMatch(/^OIDC token is malformed/);
      if (garbage) expect(err.message).not.toContain(garbage);
    }
  });

  it('never quotes a rejected token in the message', async () => {
    const token = await idp.mintAccessToken();
    const err = await verifyFailure(createOidcVerifier(settings({ audience: 'urn:falaj:other' })).verify(token));
    for (const segment of token.split('.')) expect(err.message).not.toContain(segment);
  });

  it('rejects a symmetric (HS256) token: algorithm not allowed', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setSubject('someone')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length!!'));
    const err = await verifyFailure(createOidcVerifier(settings()).verify(token));
    expect(err.message).toBe('OIDC token algorithm is not allowed');
  });

  it('rejects when the issuer is unreachable, then retries discovery on the next call', async () => {
    const token = await idp.mintAccessToken();
    const closed = await closedPortUrl();

    const unreachable = await verifyFailure(createOidcVerifier(settings({ issuer: closed })).verify(token));
    expect(unreachable.message).toMatch(/^OIDC discovery failed at .*: issuer is unreachable \(ECONNREFUSED\)$/);
    expect(unreachable.cause).toBeInstanceOf(Error);

    const noKeys = await verifyFailure(createOidcVerifier(settings({ jwksUri: `${closed}/jwks` })).verify(token));
    expect(noKeys.message).toMatch(/^OIDC signing keys could not be fetched from .*: ECONNREFUSED$/);
    expect(noKeys.cause).toBeInstanceOf(Error);

    // The issuer is down for the first discovery only: the failure must not be cached.
    const discoveries: string[] = [];
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith('/.well-known/openid-configuration')) {
        discoveries.push(url);
        if (discoveries.length === 1) throw new TypeError('fetch failed');
      }
      return fetch(input, init);
    };
    const verifier = createOidcVerifier(settings(), { fetch: flaky });
    await verifyFailure(verifier.verify(token));
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: idp.clientId });
    await verifier.verify(token);
    expect(discoveries).toHaveLength(2);
  });
});

describe('createOidcVerifier with an injected jwksUri', () => {
  let server: Server;
  let issuer: string;
  let sign: (claims: JWTPayload) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'static-1', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url !== '/keys') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    issuer = await listen(server);
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'static-1' })
        .setIssuer(issuer)
        .setAudience('falaj')
        .setSubject('user-7')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const settings = (overrides: Partial<OidcSettings> = {}): OidcSettings => ({
    issuer,
    audience: 'falaj',
    jwksUri: `${issuer}/keys`,
    clockSkewSeconds: 30,
    groupsClaim: 'groups',
    usernameClaim: 'preferred_username',
    ...overrides,
  });

  it('reads a dotted groups path and the username claim without discovery', async () => {
    const token = await sign({ preferred_username: 'mariam', realm_access: { roles: ['editor', 'auditor'] } });
    const identity = await createOidcVerifier(settings({ groupsClaim: 'realm_access.roles' })).verify(token);
    expect(identity).toMatchObject({ subject: 'user-7', username: 'mariam', groups: ['editor', 'auditor'] });
  });

  it('accepts groups given as one space or comma separated string', async () => {
    const token = await sign({ groups: 'editor, auditor viewer,editor' });
    const identity = await createOidcVerifier(settings()).verify(token);
    expect(identity.groups).toEqual(['editor', 'auditor', 'viewer']);
  });

  it('reports an issuer JWKS that answers with an error', async () => {
    const token = await sign({});
    const err = await verifyFailure(createOidcVerifier(settings({ jwksUri: `${issuer}/missing` })).verify(token));
    expect(err.message).toMatch(/^OIDC signing keys could not be fetched from .*\/missing: Expected 200 OK/);
  });

  it('rejects a token not yet valid (nbf) beyond the clock skew', async () => {
    const token = await sign({ nbf: Math.floor(Date.now() / 1000) + 600 });
    const err = await verifyFailure(createOidcVerifier(settings()).verify(token));
    expect(err.message).toBe('OIDC token is not valid yet (nbf is in the future)');
  });

  it('rejects an algorithm outside the configured list', async () => {
    const token = await sign({});
    const err = await verifyFailure(createOidcVerifier(settings({ algorithms: ['RS256'] })).verify(token));
    expect(err.message).toBe('OIDC token algorithm is not allowed');
  });
});

describe('looksLikeJwt', () => {
  it('accepts three base64url segments only', () => {
    expect(looksLikeJwt('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_')).toBe(true);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a.b.c.d.e')).toBe(false);
    expect(looksLikeJwt('a.b.')).toBe(false);
    expect(looksLikeJwt('a+b.c/d.e=')).toBe(false);
    expect(looksLikeJwt(' a.b.c')).toBe(false);
  });
});
