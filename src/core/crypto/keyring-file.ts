import { ConfigError } from '../errors/index.js';
import { Keyring, type KeyringJson, type MasterKey } from './keyring.js';
import { readSecretFile, writeSecretFile } from './secret-file.js';

/**
 * Loads the keyring from its JSON file (`{ "version": 1, "active": id, "keys": [{ id,
 * key (base64), createdAt }] }`), tightening the file's mode to 0600 if it is looser.
 * On first use creates the file, and its directory, with one fresh 32-byte key, written
 * atomically with mode 0600. Concurrent first calls agree on one keyring.
 *
 * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` naming the file when it is not a valid keyring.
 *
 * @example
 * const keyring = await loadOrCreateKeyring(join(dataDir, 'keys', 'keyring.json'));
 */
export async function loadOrCreateKeyring(filePath: string): Promise<Keyring> {
  const existing = await readSecretFile(filePath);
  if (existing !== undefined) return parseKeyringFile(filePath, existing);
  const keyring = Keyring.generate();
  if (await writeSecretFile(filePath, serialize(keyring), { replace: false })) return keyring;
  // Another process created the file between our read and our write: use its keyring.
  return parseKeyringFile(filePath, (await readSecretFile(filePath)) ?? '');
}

/**
 * Writes the keyring to `filePath` atomically with mode 0600, replacing what was there.
 * Call it after {@link Keyring.rotate}, before encrypting anything with the new key.
 *
 * @example
 * keyring.rotate();
 * await saveKeyring(path, keyring);
 */
export async function saveKeyring(filePath: string, keyring: Keyring): Promise<void> {
  await writeSecretFile(filePath, serialize(keyring), { replace: true });
}

/**
 * Rebuilds a keyring from its persisted form ({@link Keyring.toPersisted}).
 * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` saying which field is wrong (never its value).
 */
export function keyringFromJson(json: unknown): Keyring {
  const doc = json as Partial<KeyringJson> | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('the keyring must be a JSON object');
  if (doc.version !== 1) throw invalid('"version" must be 1');
  if (typeof doc.active !== 'string') throw invalid('"active" must be a key id string');
  if (!Array.isArray(doc.keys)) throw invalid('"keys" must be an array');
  const keys = doc.keys.map((entry: unknown, i): MasterKey => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) throw invalid(`keys[${i}] must be an object`);
    if (typeof e.id !== 'string' || typeof e.key !== 'string' || typeof e.createdAt !== 'string') {
      throw invalid(`keys[${i}] must have string "id", "key" (base64) and "createdAt"`);
    }
    return { id: e.id, key: Buffer.from(e.key, 'base64'), createdAt: e.createdAt };
  });
  return new Keyring(keys, doc.active);
}

function invalid(message: string): ConfigError {
  return new ConfigError('FALAJ_CRYPTO_KEY_INVALID', `Keyring is not valid: ${message}`);
}

function serialize(keyring: Keyring): string {
  return `${JSON.stringify(keyring.toPersisted(), null, 2)}\n`;
}

function parseKeyringFile(filePath: string, text: string): Keyring {
  const advice = 'Restore it from backup: data encrypted under its keys cannot be decrypted without it.';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the file's text, which is key material: leave it out.
    throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', `Keyring file ${filePath} is not valid JSON. ${advice}`, {
      details: { file: filePath },
    });
  }
  try {
    return keyringFromJson(json);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError('FALAJ_CRYPTO_KEY_INVALID', `Keyring file ${filePath} cannot be used. ${reason}. ${advice}`, {
      cause,
      details: { file: filePath },
    });
  }
}
