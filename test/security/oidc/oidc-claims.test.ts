import { describe, expect, it } from 'vitest';
import { readClaim, readGroupsClaim, readUsernameClaim } from '../../../src/security/oidc/index.js';

describe('readClaim', () => {
  it('walks a dotted path into nested objects', () => {
    expect(readClaim({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(readClaim({ a: { b: { c: 1 } } }, 'a.b.c')).toBe(1);
  });

  it('prefers a claim whose literal name contains dots (namespaced claims)', () => {
    const claims = { 'https://falaj.example/groups': ['ml'], https: { nope: true } };
    expect(readClaim(claims, 'https://falaj.example/groups')).toEqual(['ml']);
  });

  it('returns undefined for a missing segment or a non-object on the way', () => {
    expect(readClaim({ realm_access: {} }, 'realm_access.roles')).toBeUndefined();
    expect(readClaim({ realm_access: 'x' }, 'realm_access.roles')).toBeUndefined();
    expect(readClaim({ list: ['a'] }, 'list.0')).toBeUndefined();
    expect(readClaim({}, 'constructor')).toBeUndefined();
  });
});

describe('readGroupsClaim', () => {
  it('reads arrays, dropping non-strings, empties and duplicates', () => {
    expect(readGroupsClaim({ groups: ['a', 3, '', ' b ', 'a', null] }, 'groups')).toEqual(['a', 'b']);
  });

  it('splits a space or comma separated string', () => {
    expect(readGroupsClaim({ groups: 'a b,c ,, d' }, 'groups')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('means no groups when the claim is missing or of another type', () => {
    expect(readGroupsClaim({}, 'groups')).toEqual([]);
    expect(readGroupsClaim({ groups: { a: 1 } }, 'groups')).toEqual([]);
  });
});

describe('readUsernameClaim', () => {
  it('falls back to the subject when the claim is missing or empty', () => {
    expect(readUsernameClaim({ preferred_username: 'mariam' }, 'preferred_username', 'sub-1')).toBe('mariam');
    expect(readUsernameClaim({ preferred_username: '' }, 'preferred_username', 'sub-1')).toBe('sub-1');
    expect(readUsernameClaim({}, 'preferred_username', 'sub-1')).toBe('sub-1');
  });
});
