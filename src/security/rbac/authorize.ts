import { NotAllowedError } from '../../core/errors/index.js';
import type { Principal } from './principal.js';
import { GLOBAL_SCOPE, ROLE_PERMISSIONS, type Permission } from './roles.js';

/**
 * True when one of the principal's bindings grants `permission` on `project`.
 * A global binding (`*`) covers every project; a platform-wide check (`project` is
 * `*`) is satisfied by global bindings only.
 */
export function can(principal: Principal, permission: Permission, project: string): boolean {
  return principal.bindings.some(
    (b) => (b.project === GLOBAL_SCOPE || b.project === project) && ROLE_PERMISSIONS[b.role].has(permission),
  );
}

/** Throws {@link NotAllowedError} unless the principal holds `permission` on `project`. */
export function authorize(principal: Principal, permission: Permission, project: string): void {
  if (can(principal, permission, project)) return;
  const where = project === GLOBAL_SCOPE ? 'platform-wide' : `on project "${project}"`;
  throw new NotAllowedError('FALAJ_PERMISSION_DENIED', `${principal.name} lacks permission ${permission} ${where}`, {
    details: { permission, project },
  });
}

/** Projects the principal holds any binding on; `undefined` means all (global binding). */
export function visibleProjects(principal: Principal): Set<string> | undefined {
  if (principal.bindings.some((b) => b.project === GLOBAL_SCOPE)) return undefined;
  return new Set(principal.bindings.map((b) => b.project));
}
