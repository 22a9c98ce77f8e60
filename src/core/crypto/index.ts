export { canonicalJson, sha256File, sha256Hex } from './digest.js';
export { SigningKey, assertSignature, loadOrCreateSigningKey, verifySignature } from './signing.js';
export { Keyring, MASTER_KEY_BYTES, isValidKeyId, type KeyringJson, type MasterKey } from './keyring.js';
export { keyringFromJson, loadOrCreateKeyring, saveKeyring } from './keyring-file.js';
export { decrypt, encrypt, envelopeKeyId, rewrap, type Aad } from './envelope.js';
