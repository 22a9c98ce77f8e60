import type { Role } from './roles.js';

export interface RoleBinding {
  /** a project name, or `*` for every project */
  project: string;
  role: Role;
}

/** Who is making a request, with the roles they hold. */
export interface Principal {
  id: string;
  kind: 'user' | 'service' | 'system';
  name: string;
  bindings: RoleBinding[];
  /** How the principal authenticated, for the audit trail. */
  via: 'token' | 'oidc' | 'system';
  tokenId?: string;
}

/** The platform itself, for start-up work (bootstrap, migrations) written to the audit log. */
export const SYSTEM_PRINCIPAL: Principal = {
  id: 'system',
  kind: 'system',
  name: 'falaj',
  bindings: [{ project: '*', role: 'admin' }],
  via: 'system',
};
