import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, ROLE_PERMISSIONS } from '../../src/security/rbac/index.js';

// docs/security.md prints the permission matrix for operators; it must say what the code does.
describe('docs/security.md permission matrix', () => {
  const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
  const header = doc.split('\n').find((l) => l.startsWith('| permission |'))!;
  const roles = header.split('|').map((c) => c.trim()).slice(2, -1);
  const rows = new Map(
    doc
      .split('\n')
      .filter((l) => /^\| `[a-z]+:[a-z]+` \|/.test(l))
      .map((l) => {
        const cells = l.split('|').map((c) => c.trim()).slice(1, -1);
        return [cells[0]!.replace(/`/g, ''), cells.slice(1)] as const;
      }),
  );

  it('lists every role and every permission', () => {
    expect(roles).toEqual([...ROLES]);
    expect([...rows.keys()]).toEqual([...PERMISSIONS]);
  });

  it('marks exactly the permissions each role has', () => {
    for (const [permission, cells] of rows) {
      roles.forEach((role, i) => {
        expect(cells[i] === '✓', `${role} ${permission}`).toBe(ROLE_PERMISSIONS[role as (typeof ROLES)[number]].has(permission as (typeof PERMISSIONS)[number]));
      });
    }
  });
});
