import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * A sortable, prefixed id: `tok_01j9…`. Time-ordered (48-bit milliseconds) then 80
 * random bits, so ids sort by creation and never collide across replicas.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let random = '';
  for (let i = 0; i < 16; i++) {
    // 16 symbols × 5 bits = 80 bits, read from the 10 random bytes
    const bit = i * 5;
    const byte = bit >> 3;
    const value = (((bytes[byte]! << 8) | (bytes[byte + 1] ?? 0)) >> (11 - (bit & 7))) & 31;
    random += ALPHABET[value];
  }
  return `${prefix}_${time}${random}`;
}
