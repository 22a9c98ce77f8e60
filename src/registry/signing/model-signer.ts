import { canonicalJson, type SigningKey } from '../../core/crypto/index.js';
import { InputError, IntegrityError } from '../../core/errors/index.js';
import type { DsseEnvelope, ModelSigner } from '../artifact-contracts.js';
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding, verifyDsseWithPublicKey } from './dsse.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The OpenSSF model-signing predicate type (https://github.com/sigstore/model-transparency). */
export const MODEL_SIGNING_PREDICATE_TYPE = 'https://model_signing/signature/v1.0';

/** An in-toto v1 statement whose subjects are a model's files. */
export interface ModelStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof MODEL_SIGNING_PREDICATE_TYPE;
  predicate: {
    name: string;
    serialization: { method: 'files'; hash_type: 'sha256' };
  };
}

type ModelFile = { name: string; sha256: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Signs a model's file list as an in-toto v1 statement (one subject per file, sorted by
 * name) in a DSSE envelope, with the platform's Ed25519 key; the payload is the
 * statement's canonical JSON, so signing the same files twice gives the same envelope.
 * Anyone with the public key can check an envelope offline with
 * {@link verifyDsseWithPublicKey} or standard DSSE tooling.
 *
 * @example
 * const signer = createModelSigner(signingKey);
 * const envelope = signer.sign('fraud', [{ name: 'model.onnx', sha256 }]);
 * signer.verify(envelope, [{ name: 'model.onnx', sha256 }]); // throws if anything differs
 */
export function createModelSigner(signingKey: SigningKey): ModelSigner {
  const publicKeyPem = signingKey.publicKeyPem();
  return {
    sign(modelName, files) {
      if (typeof modelName !== 'string' || modelName === '') throw new InputError('FALAJ_VALIDATION_FAILED', 'a signed model needs a name');
      const statement: ModelStatement = {
        _type: IN_TOTO_STATEMENT_TYPE,
        subject: byName(checkFiles(files)).map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
        predicateType: MODEL_SIGNING_PREDICATE_TYPE,
        predicate: { name: modelName, serialization: { method: 'files', hash_type: 'sha256' } },
      };
      const payload = Buffer.from(canonicalJson(statement), 'utf8');
      const signature = signingKey.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload));
      return {
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        payload: payload.toString('base64'),
        // DSSE's signatures are standard base64; SigningKey returns base64url
        signatures: [{ keyid: signingKey.keyId, sig: Buffer.from(signature, 'base64url').toString('base64') }],
      };
    },

    verify(envelope, files) {
      const statement = parseStatement(envelope, verifyDsseWithPublicKey(envelope, publicKeyPem));
      compareFiles(statement, checkFiles(files));
    },
  };
}

/** Reads the verified payload as a model statement. */
function parseStatement(envelope: DsseEnvelope, payload: Buffer): ModelStatement {
  const notStatement = (why: string) =>
    new IntegrityError('FALAJ_SIGNATURE_INVALID', `model signature does not verify: the signed payload ${why}`);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw notStatement(`has type "${envelope.payloadType}", not ${IN_TOTO_PAYLOAD_TYPE}`);
  let doc: Partial<ModelStatement>;
  try {
    doc = JSON.parse(payload.toString('utf8')) as Partial<ModelStatement>;
  } catch {
    throw notStatement('is not JSON');
  }
  if (doc._type !== IN_TOTO_STATEMENT_TYPE) throw notStatement(`is not an in-toto v1 statement`);
  if (doc.predicateType !== MODEL_SIGNING_PREDICATE_TYPE) throw notStatement(`has predicate type "${String(doc.predicateType)}"`);
  const valid =
    Array.isArray(doc.subject) &&
    doc.subject.every((s) => typeof s?.name === 'string' && typeof s.digest?.sha256 === 'string');
  if (!valid) throw notStatement('has malformed subjects');
  return doc as ModelStatement;
}

/** The signed subjects must be exactly the given files, digest for digest. */
function compareFiles(statement: ModelStatement, files: readonly ModelFile[]): void {
  const signed = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  const given = new Map(files.map((f) => [f.name, f.sha256]));
  const problems: { file: string; problem: string }[] = [];
  for (const [name, sha256] of signed) {
    const actual = given.get(name);
    if (actual === undefined) problems.push({ file: name, problem: 'is signed but missing' });
    else if (actual !== sha256) problems.push({ file: name, problem: `has SHA-256 ${actual}, but ${sha256} was signed` });
  }
  for (const name of given.keys()) {
    if (!signed.has(name)) problems.push({ file: name, problem: 'is not among the signed files' });
  }
  if (problems.length === 0) return;
  const [first] = problems;
  throw new IntegrityError(
    'FALAJ_ARTIFACT_TAMPERED',
    `model "${statement.predicate?.name ?? '?'}" does not match its signed file list: file "${first!.file}" ${first!.problem}` +
      `${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}. Do not load it; restore the files or re-register the model.`,
    { details: { problems } },
  );
}

function checkFiles(files: readonly ModelFile[]): readonly ModelFile[] {
  const seen = new Set<string>();
  for (const file of files) {
    if (typeof file?.name !== 'string' || file.name === '') throw new InputError('FALAJ_VALIDATION_FAILED', 'every model file needs a name');
    if (!SHA256_HEX.test(file.sha256)) {
      throw new InputError('FALAJ_VALIDATION_FAILED', `model file "${file.name}" needs a SHA-256 as 64 lowercase hex characters`);
    }
    if (seen.has(file.name)) throw new InputError('FALAJ_VALIDATION_FAILED', `model file "${file.name}" is listed twice`);
    seen.add(file.name);
  }
  return files;
}

function byName(files: readonly ModelFile[]): ModelFile[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
