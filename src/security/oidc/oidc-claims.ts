/**
 * Reads a claim by name or by dotted path.
 *
 * A claim whose literal name contains dots (Auth0's namespaced
 * `https://example.com/groups`) wins over the path reading, so namespaced claims
 * work unchanged; otherwise each segment descends one object level, as in
 * Keycloak's `realm_access.roles`.
 *
 * @example
 * readClaim({ realm_access: { roles: ['admin'] } }, 'realm_access.roles'); // ['admin']
 */
export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Reads the groups claim as a list of group names.
 *
 * Identity providers disagree on the shape: an array of strings (Keycloak, Okta,
 * Entra ID) or one string separated by spaces or commas (some LDAP-backed
 * providers). Non-string entries and empty names are dropped, duplicates removed,
 * order kept. A missing claim means no groups.
 */
export function readGroupsClaim(claims: Record<string, unknown>, path: string): string[] {
  const value = readClaim(claims, path);
  let names: string[];
  if (Array.isArray(value)) {
    names = value.filter((entry): entry is string => typeof entry === 'string').map((entry) => entry.trim());
  } else if (typeof value === 'string') {
    names = value.split(/[\s,]+/);
  } else {
    return [];
  }
  return [...new Set(names.filter((name) => name.length > 0))];
}

/**
 * Reads the username claim, falling back to `sub` when the claim is missing, empty
 * or not a string (client-credentials tokens usually carry no username).
 */
export function readUsernameClaim(claims: Record<string, unknown>, path: string, subject: string): string {
  const value = readClaim(claims, path);
  return typeof value === 'string' && value.length > 0 ? value : subject;
}
