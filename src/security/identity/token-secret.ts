import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../core/crypto/index.js';

/** Every Falaj API token starts with this, so secret scanners can recognise one. */
export const TOKEN_PREFIX = 'flj_';
const TOKEN_PATTERN = /^flj_[A-Za-z0-9_-]{43}$/;

/** A new random token (256 bits). Shown once; only its hash is stored. */
export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function looksLikeApiToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * SHA-256 is the right hash here (not a password KDF): the secret has 256 random bits,
 * so there is nothing to brute-force, and a lookup must stay cheap on every request.
 */
export function hashTokenSecret(secret: string): string {
  return sha256Hex(secret);
}

/** What may be shown of a token after creation: `flj_AbCd1234…`. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 12);
}
