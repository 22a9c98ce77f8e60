import type { Kysely } from 'kysely';
import type { OidcConfig } from '../../core/config/index.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Db } from '../../storage/metadata/index.js';
import type { OidcIdentity } from '../oidc/index.js';
import type { Principal, RoleBinding } from '../rbac/index.js';
import * as principals from './principal.repository.js';

/**
 * Maps a verified OIDC identity to a Falaj principal: a stable principal row per
 * (issuer, subject), so the audit log names the same user across sessions, holding the
 * roles its groups map to in config plus any bindings stored for it.
 */
export class OidcPrincipals {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Db>,
    private readonly config: OidcConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  async resolve(identity: OidcIdentity): Promise<Principal> {
    const id = await this.principalId(identity);
    const fromGroups: RoleBinding[] = this.config.groupRoles
      .filter((m) => identity.groups.includes(m.group))
      .map((m) => ({ project: m.project, role: m.role }));
    const stored = await principals.bindingsOf(this.db, id);
    return { id, kind: 'user', name: identity.username, bindings: [...fromGroups, ...stored], via: 'oidc' };
  }

  private async principalId(identity: OidcIdentity): Promise<string> {
    const key = `${identity.issuer}\n${identity.subject}`;
    const cached = this.ids.get(key);
    if (cached) return cached;
    let row = await principals.findPrincipalBySubject(this.db, identity.issuer, identity.subject);
    if (!row) {
      const now = this.clock.now();
      try {
        await principals.insertPrincipal(this.db, {
          id: newId('prn', now.getTime()),
          kind: 'user',
          name: identity.username,
          issuer: identity.issuer,
          subject: identity.subject,
          created_at: now.toISOString(),
        });
      } catch {
        // a concurrent request inserted the same (issuer, subject): read theirs below
      }
      row = await principals.findPrincipalBySubject(this.db, identity.issuer, identity.subject);
    }
    if (!row) throw new Error('principal for OIDC subject could not be stored');
    this.ids.set(key, row.id);
    return row.id;
  }
}
