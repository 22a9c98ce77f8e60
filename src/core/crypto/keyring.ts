import { randomBytes } from 'node:crypto';
import { ConfigError, NotFoundError } from '../errors/index.js';
import { sha256Hex } from './digest.js';

/** Master keys are AES-256 keys. */
export const MASTER_KEY_BYTES = 32;

/** Key ids travel in every envelope header: short, printable, unambiguous. */
const KEY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Whether `id` is well-formed as a master key id. */
export function isValidKeyId(id: string): boolean {
  return KEY_ID_PATTERN.test(id);
}

/** A key-encryption key: wraps the per-object data keys of envelopes. */
export interface MasterKey {
  readonly id: string;
  /** 32 secret bytes. */
  readonly key: Buffer;
  /** ISO-8601 timestamp. */
  readonly createdAt: string;
}

/** The persisted form of a keyring (the keyring file). Holds secrets. */
export interface KeyringJson {
  version: 1;
  active: string;
  keys: { id: string; key: string; createdAt: string }[];
}

/**
 * The master keys that protect envelopes. One is active and wraps new data keys; the
 * others stay to unwrap what they wrapped before a rotation. Keys live in a private
 * field, so they never show in `util.inspect` output; only `toPersisted()` reveals them.
 *
 * @example
 * const keyring = Keyring.fromMasterKey(process.env.FALAJ_MASTER_KEY!);
 * const blob = encrypt(keyring, Buffer.from('secret'));
 */
export class Keyring {
  readonly #keys = new Map<string, MasterKey>();
  #activeId: string;

  /**
   * @param activeId the active key; by default the newest by `createdAt`.
   * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` on an empty list, a malformed or
   *   duplicate id, a key that is not 32 bytes, a bad timestamp, or an unknown active id.
   */
  constructor(keys: readonly MasterKey[], activeId?: string) {
    if (keys.length === 0) throw invalid('A keyring needs at least one master key');
    for (const { id, key, createdAt } of keys) {
      if (!isValidKeyId(id)) throw invalid(`Master key id ${JSON.stringify(id)} must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
      if (this.#keys.has(id)) throw invalid(`Master key id "${id}" appears twice in the keyring`);
      if (key.length !== MASTER_KEY_BYTES) throw invalid(`Master key "${id}" must be ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
      if (Number.isNaN(Date.parse(createdAt))) throw invalid(`Master key "${id}" has an invalid createdAt timestamp`);
      this.#keys.set(id, { id, key: Buffer.from(key), createdAt });
    }
    const active = activeId ?? newest([...this.#keys.values()]).id;
    if (!this.#keys.has(active)) throw invalid(`Active master key "${active}" is not in the keyring`);
    this.#activeId = active;
  }

  /** A keyring with one fresh random master key. */
  static generate(): Keyring {
    return new Keyring([newMasterKey()]);
  }

  /**
   * A single-key keyring from a base64 master key given in configuration; its id is
   * the first 8 hex characters of the key's SHA-256.
   * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` unless it decodes to exactly 32 bytes (the message never contains the key).
   */
  static fromMasterKey(base64: string): Keyring {
    const text = base64.trim();
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (key.length !== MASTER_KEY_BYTES) {
      throw invalid(`Master key must be base64 of exactly ${MASTER_KEY_BYTES} bytes, got ${key.length} bytes. ` +
        'Generate one with: openssl rand -base64 32');
    }
    // The key has no known creation time; the epoch keeps the keyring deterministic.
    return new Keyring([{ id: keyIdFor(key), key, createdAt: new Date(0).toISOString() }]);
  }

  /** Id of the key that wraps new data keys. */
  get activeKeyId(): string {
    return this.#activeId;
  }

  /** The key that wraps new data keys. */
  get activeKey(): MasterKey {
    return this.key(this.#activeId);
  }

  /** Ids of every key, oldest first. */
  get keyIds(): string[] {
    return [...this.#keys.values()].sort(byCreatedAt).map((k) => k.id);
  }

  /**
   * The master key with this id.
   * @throws NotFoundError `FALAJ_CRYPTO_KEY_UNKNOWN` when the keyring does not hold it.
   */
  key(id: string): MasterKey {
    const found = this.#keys.get(id);
    if (found) return found;
    throw new NotFoundError('FALAJ_CRYPTO_KEY_UNKNOWN',
      `Master key "${id}" is not in the keyring (it holds ${this.keyIds.join(', ')}). ` +
        'Restore the keyring that held it; data wrapped by it cannot be decrypted otherwise.');
  }

  /** Adds a fresh random master key and makes it active; older keys stay for decryption. */
  rotate(): MasterKey {
    let fresh = newMasterKey();
    while (this.#keys.has(fresh.id)) fresh = newMasterKey(); // 32-bit ids: collisions are rare, not impossible
    this.#keys.set(fresh.id, fresh);
    this.#activeId = fresh.id;
    return fresh;
  }

  /**
   * The persisted form, keys in base64 (read back with `keyringFromJson`).
   * It holds secrets: write it only to a 0600 file, never to a log.
   */
  toPersisted(): KeyringJson {
    return {
      version: 1,
      active: this.#activeId,
      keys: this.keyIds.map((id) => {
        const { key, createdAt } = this.key(id);
        return { id, key: key.toString('base64'), createdAt };
      }),
    };
  }

  /** What `JSON.stringify` (and so a logger) sees: key ids only, never key material. */
  toJSON(): { active: string; keyIds: string[] } {
    return { active: this.#activeId, keyIds: this.keyIds };
  }
}

function newMasterKey(): MasterKey {
  const key = randomBytes(MASTER_KEY_BYTES);
  return { id: keyIdFor(key), key, createdAt: new Date().toISOString() };
}

function keyIdFor(key: Buffer): string {
  return sha256Hex(key).slice(0, 8);
}

function byCreatedAt(a: MasterKey, b: MasterKey): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt);
}

/** Newest by createdAt; on a tie, the later in the list. */
function newest(keys: MasterKey[]): MasterKey {
  return keys.reduce((best, k) => (byCreatedAt(k, best) >= 0 ? k : best));
}

function invalid(message: string): ConfigError {
  return new ConfigError('FALAJ_CRYPTO_KEY_INVALID', message);
}
