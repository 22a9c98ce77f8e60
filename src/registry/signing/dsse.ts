import { verifySignature } from '../../core/crypto/index.js';
import { IntegrityError } from '../../core/errors/index.js';
import type { DsseEnvelope } from '../artifact-contracts.js';

/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/**
 * DSSE's pre-authentication encoding, the bytes that are actually signed
 * (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md):
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
 *
 * @example
 * preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString();
 * // 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

/**
 * Checks a DSSE envelope offline with nothing but the signer's public key (an auditor's
 * view): at least one of its signatures must be a valid Ed25519 signature over the PAE of
 * its payload. The `keyid` of a signature is only a hint and is not trusted. Returns the
 * payload bytes (for an in-toto envelope, the statement JSON).
 *
 * @throws IntegrityError `FALAJ_SIGNATURE_INVALID` when the envelope is malformed or no
 *   signature verifies (payload or type edited, wrong key, re-signed by another key).
 * @throws ConfigError `FALAJ_CRYPTO_KEY_INVALID` when `publicKeyPem` is not an Ed25519 public key.
 *
 * @example
 * const statement = JSON.parse(verifyDsseWithPublicKey(envelope, publicKeyPem).toString('utf8'));
 */
export function verifyDsseWithPublicKey(envelope: DsseEnvelope, publicKeyPem: string): Buffer {
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    typeof envelope.payloadType !== 'string' ||
    typeof envelope.payload !== 'string' ||
    !Array.isArray(envelope.signatures)
  ) {
    throw invalid('it is not a DSSE envelope (payloadType, payload and signatures are required)');
  }
  const payload = decodeBase64(envelope.payload);
  if (!payload) throw invalid('its payload is not base64');
  const pae = preAuthEncoding(envelope.payloadType, payload);
  for (const signature of envelope.signatures) {
    const sig = typeof signature?.sig === 'string' ? decodeBase64(signature.sig) : undefined;
    if (sig && verifySignature(publicKeyPem, pae, sig.toString('base64url'))) return payload;
  }
  throw invalid(
    envelope.signatures.length === 0
      ? 'it carries no signature'
      : 'no signature verifies with the platform public key: the statement was edited, or signed by another key',
  );
}

/**
 * Decodes DSSE's base64. The spec names standard base64 but parsers are told to accept
 * URL-safe too; Buffer's decoder is lenient about junk, so only a string that re-encodes
 * to itself (padding aside) is accepted.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const bare = text.replace(/=+$/, '');
  const reencoded = /[-_]/.test(bare) ? bytes.toString('base64url') : bytes.toString('base64').replace(/=+$/, '');
  return reencoded === bare ? bytes : undefined;
}

function invalid(reason: string): IntegrityError {
  return new IntegrityError('FALAJ_SIGNATURE_INVALID', `model signature does not verify: ${reason}. Do not load this model; re-register it to sign it again.`);
}
