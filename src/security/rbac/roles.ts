/**
 * Roles and the permission matrix. Projects are tenants: a role is bound per project,
 * or globally (`*`) for admin and auditor. Deny by default: a permission not listed
 * for a role is refused, and a route that declares no permission fails closed.
 * `docs/security.md` prints this matrix; keep them in step.
 */
export const ROLES = ['viewer', 'editor', 'deployer', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'project:read',
  'project:create',
  'project:update',
  'token:manage',
  'audit:read',
  'audit:verify',
  'policy:check',
  'metrics:read',
  'feature:read',
  'feature:write',
  'dataset:read',
  'dataset:write',
  'materialize:run',
  'run:read',
  'run:write',
  'model:read',
  'model:write',
  'model:promote',
  'artifact:read',
  'job:read',
  'job:write',
  'compute:manage',
  'deployment:read',
  'deployment:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Binding scope meaning "every project" (and platform-wide actions). */
export const GLOBAL_SCOPE = '*';

const READ: Permission[] = [
  'project:read',
  'policy:check',
  'feature:read',
  'dataset:read',
  'run:read',
  'model:read',
  'job:read',
  'deployment:read',
];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(READ),
  editor: new Set<Permission>([
    ...READ,
    'feature:write',
    'dataset:write',
    'materialize:run',
    'run:write',
    'model:write',
    'job:write',
    'artifact:read',
  ]),
  deployer: new Set<Permission>([...READ, 'deployment:write', 'model:promote', 'artifact:read']),
  auditor: new Set<Permission>([...READ, 'audit:read', 'audit:verify', 'metrics:read', 'artifact:read']),
  admin: new Set<Permission>(PERMISSIONS),
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
