import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { AuthenticationError, InputError, NotFoundError } from '../../core/errors/index.js';
import { newId } from '../../core/ids.js';
import type { Db, DbOrTx } from '../../storage/metadata/index.js';
import type { AuditLog } from '../audit/index.js';
import type { RequestContext } from '../projects/index.js';
import { GLOBAL_SCOPE, type Principal, type Role } from '../rbac/index.js';
import type { ApiTokenTable } from './identity.table.js';
import * as principals from './principal.repository.js';
import * as repo from './token.repository.js';
import { displayPrefix, hashTokenSecret, looksLikeApiToken, newTokenSecret } from './token-secret.js';

/** A token as listed: never the secret. */
export interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  project: string;
  role: Role;
  principalId: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface CreateTokenInput {
  /** a project name, or `*` for a platform-wide token */
  project: string;
  role: Role;
  name?: string | undefined;
  /** lifetime in milliseconds; none = no expiry */
  expiresInMs?: number | undefined;
}

const TOUCH_INTERVAL_MS = 60_000;
/**
 * How long a verified token's principal is reused without asking the database. A
 * revocation on this replica takes effect at once (the entry is dropped); on another
 * replica within this time. Expiry is checked on every request regardless.
 */
export const AUTH_CACHE_MS = 5_000;

interface CachedPrincipal {
  principal: Principal;
  expiresAt: string | null;
  cachedAt: number;
}

/**
 * API tokens: random, prefixed, shown once, stored as a SHA-256 hash, with expiry and
 * revocation. Each token acts as its own service principal holding exactly one role
 * binding, so the audit log tells which token did what.
 */
export class TokenService {
  private readonly lastTouched = new Map<string, number>();
  private readonly verified = new Map<string, CachedPrincipal>();

  constructor(
    private readonly db: Kysely<Db>,
    private readonly audit: AuditLog,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(ctx: RequestContext, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
    if (input.expiresInMs !== undefined && input.expiresInMs <= 0) {
      throw new InputError('FALAJ_INVALID_DURATION', 'a token lifetime must be positive');
    }
    return this.db.transaction().execute((tx) => this.createIn(tx, ctx, input));
  }

  /** Creates the first global admin token on first start; undefined when one exists. */
  async bootstrapAdmin(ctx: RequestContext): Promise<{ token: string; info: TokenInfo } | undefined> {
    return this.db.transaction().execute(async (tx) => {
      if (await principals.hasGlobalAdmin(tx)) return undefined;
      return this.createIn(tx, ctx, { project: GLOBAL_SCOPE, role: 'admin', name: 'bootstrap-admin' });
    });
  }

  async list(project: string | undefined): Promise<TokenInfo[]> {
    return (await repo.listTokens(this.db, project)).map(toInfo);
  }

  async get(id: string): Promise<TokenInfo> {
    const row = await repo.findToken(this.db, id);
    if (!row) throw new NotFoundError('FALAJ_TOKEN_NOT_FOUND', `token ${id} does not exist`);
    return toInfo(row);
  }

  async revoke(ctx: RequestContext, id: string): Promise<TokenInfo> {
    return this.db.transaction().execute(async (tx) => {
      const row = await repo.findToken(tx, id);
      if (!row) throw new NotFoundError('FALAJ_TOKEN_NOT_FOUND', `token ${id} does not exist`);
      if (row.revoked_at) return toInfo(row); // revoking twice is harmless and not a new event
      const now = this.clock.now().toISOString();
      await repo.markRevoked(tx, id, now, ctx.principal.id);
      this.verified.delete(row.token_hash);
      await this.audit.append(tx, {
        actor: ctx.principal.id,
        action: 'token.revoke',
        resource: `token/${id}`,
        project: row.project === GLOBAL_SCOPE ? null : row.project,
        outcome: 'success',
        requestId: ctx.requestId,
        details: { name: row.name, role: row.role },
      });
      return toInfo({ ...row, revoked_at: now, revoked_by: ctx.principal.id });
    });
  }

  /**
   * Resolves a presented secret to its principal, or throws an AuthenticationError
   * saying why (unknown, expired, revoked). The message never repeats the secret.
   */
  async authenticate(secret: string): Promise<Principal> {
    if (!looksLikeApiToken(secret)) throw new AuthenticationError('FALAJ_TOKEN_INVALID', 'the API token is malformed');
    const hash = hashTokenSecret(secret);
    const now = this.clock.now();
    const cached = this.verified.get(hash);
    if (cached && now.getTime() - cached.cachedAt < AUTH_CACHE_MS && (!cached.expiresAt || cached.expiresAt > now.toISOString())) return cached.principal;
    this.verified.delete(hash);
    const row = await repo.findTokenByHash(this.db, hash);
    if (!row) throw new AuthenticationError('FALAJ_TOKEN_INVALID', 'the API token is not known');
    if (row.revoked_at) throw new AuthenticationError('FALAJ_TOKEN_REVOKED', `the API token ${row.id} was revoked at ${row.revoked_at}`);
    if (row.expires_at && row.expires_at <= now.toISOString()) {
      throw new AuthenticationError('FALAJ_TOKEN_EXPIRED', `the API token ${row.id} expired at ${row.expires_at}`);
    }
    const principal = await principals.findPrincipal(this.db, row.principal_id);
    if (!principal) throw new AuthenticationError('FALAJ_TOKEN_INVALID', 'the API token has no principal');
    this.touch(row.id, now);
    const resolved: Principal = {
      id: principal.id,
      kind: principal.kind as Principal['kind'],
      name: principal.name,
      bindings: await principals.bindingsOf(this.db, principal.id),
      via: 'token',
      tokenId: row.id,
    };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(hash, { principal: resolved, expiresAt: row.expires_at, cachedAt: now.getTime() });
    return resolved;
  }

  private async createIn(tx: DbOrTx, ctx: RequestContext, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
    const now = this.clock.now();
    const id = newId('tok', now.getTime());
    const principalId = newId('prn', now.getTime());
    const secret = newTokenSecret();
    const name = input.name ?? `${input.project === GLOBAL_SCOPE ? 'global' : input.project}-${input.role}-${id.slice(-6)}`;
    const createdAt = now.toISOString();
    await principals.insertPrincipal(tx, { id: principalId, kind: 'service', name, issuer: null, subject: null, created_at: createdAt });
    await principals.insertBinding(tx, principalId, { project: input.project, role: input.role }, ctx.principal.id, createdAt);
    const row: ApiTokenTable = {
      id,
      principal_id: principalId,
      name,
      token_hash: hashTokenSecret(secret),
      prefix: displayPrefix(secret),
      project: input.project,
      role: input.role,
      created_at: createdAt,
      created_by: ctx.principal.id,
      expires_at: input.expiresInMs ? new Date(now.getTime() + input.expiresInMs).toISOString() : null,
      revoked_at: null,
      revoked_by: null,
      last_used_at: null,
    };
    await repo.insertToken(tx, row);
    await this.audit.append(tx, {
      actor: ctx.principal.id,
      action: 'token.create',
      resource: `token/${id}`,
      project: input.project === GLOBAL_SCOPE ? null : input.project,
      outcome: 'success',
      requestId: ctx.requestId,
      details: { name, role: input.role, scope: input.project, expiresAt: row.expires_at, principalId },
    });
    return { token: secret, info: toInfo(row) };
  }

  /** Records last use at most once a minute per token, off the request's path. */
  private touch(id: string, now: Date): void {
    const last = this.lastTouched.get(id) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now.getTime());
    repo.touchToken(this.db, id, now.toISOString()).catch(() => this.lastTouched.delete(id));
  }
}

function toInfo(row: ApiTokenTable): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    project: row.project,
    role: row.role as Role,
    principalId: row.principal_id,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
