import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SigningKey, sha256Hex } from '../../../src/core/crypto/index.js';
import { InputError, IntegrityError } from '../../../src/core/errors/index.js';
import type { DsseEnvelope } from '../../../src/registry/artifact-contracts.js';
import {
  createModelSigner,
  preAuthEncoding,
  verifyDsseWithPublicKey,
  type ModelStatement,
} from '../../../src/registry/signing/index.js';

const platformKey = SigningKey.generate();
const signer = createModelSigner(platformKey);
const FILES = [
  { name: 'weights/model.onnx', sha256: sha256Hex('weights') },
  { name: 'MLmodel', sha256: sha256Hex('mlmodel') },
  { name: 'conda.yaml', sha256: sha256Hex('conda') },
];

const statementOf = (envelope: DsseEnvelope): ModelStatement =>
  JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as ModelStatement;

function errorOf(fn: () => unknown): IntegrityError {
  try {
    fn();
  } catch (err) {
    return err as IntegrityError;
  }
  throw new Error('expected an error');
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): IntegrityError {
  const error = errorOf(fn);
  expect(error).toBeInstanceOf(IntegrityError);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('model signer', () => {
  it('signs an in-toto v1 statement listing every file, sorted by name, in a DSSE envelope', () => {
    const envelope = signer.sign('fraud', FILES);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures).toEqual([{ keyid: platformKey.keyId, sig: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/) }]);
    expect(statementOf(envelope)).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        { name: 'MLmodel', digest: { sha256: sha256Hex('mlmodel') } },
        { name: 'conda.yaml', digest: { sha256: sha256Hex('conda') } },
        { name: 'weights/model.onnx', digest: { sha256: sha256Hex('weights') } },
      ],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: { name: 'fraud', serialization: { method: 'files', hash_type: 'sha256' } },
    });
  });

  it('verifies its own envelope, whatever order the files are given in', () => {
    const envelope = signer.sign('fraud', FILES);
    expect(() => signer.verify(envelope, FILES)).not.toThrow();
    expect(() => signer.verify(envelope, [...FILES].reverse())).not.toThrow();
    // a JSON round trip (stored in the database, sent over HTTP) changes nothing
    expect(() => signer.verify(JSON.parse(JSON.stringify(envelope)) as DsseEnvelope, FILES)).not.toThrow();
  });

  it('refuses malformed input to sign', () => {
    expect(() => signer.sign('', FILES)).toThrow(InputError);
    expect(() => signer.sign('m', [{ name: 'a', sha256: 'ABC' }])).toThrow(/64 lowercase hex/);
    expect(() => signer.sign('m', [FILES[0]!, FILES[0]!])).toThrow(/listed twice/);
  });

  describe('refuses a bad signature with FALAJ_SIGNATURE_INVALID', () => {
    it('when verified by another platform’s key', () => {
      const envelope = signer.sign('fraud', FILES);
      expectCode(() => createModelSigner(SigningKey.generate()).verify(envelope, FILES), 'FALAJ_SIGNATURE_INVALID');
    });

    it('when the payload was edited (a digest swapped) and the signature kept', () => {
      const envelope = signer.sign('fraud', FILES);
      const statement = statementOf(envelope);
      statement.subject[2]!.digest.sha256 = sha256Hex('backdoored weights');
      const edited = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString('base64') };
      const files = FILES.map((f) => (f.name === 'weights/model.onnx' ? { ...f, sha256: sha256Hex('backdoored weights') } : f));
      expectCode(() => signer.verify(edited, files), 'FALAJ_SIGNATURE_INVALID', /edited, or signed by another key/);
    });

    it('when the payload type was edited', () => {
      const envelope = signer.sign('fraud', FILES);
      expectCode(() => signer.verify({ ...envelope, payloadType: 'application/json' }, FILES), 'FALAJ_SIGNATURE_INVALID');
    });

    it('when the statement was re-signed by another key claiming the platform key id', () => {
      const attacker = SigningKey.generate();
      const forged = createModelSigner(attacker).sign('fraud', [{ name: 'weights/model.onnx', sha256: sha256Hex('evil') }]);
      forged.signatures[0]!.keyid = platformKey.keyId;
      expectCode(() => signer.verify(forged, [{ name: 'weights/model.onnx', sha256: sha256Hex('evil') }]), 'FALAJ_SIGNATURE_INVALID');
    });

    it('when the signature is missing, truncated or not base64, or the envelope is not one', () => {
      const envelope = signer.sign('fraud', FILES);
      const sig = envelope.signatures[0]!.sig;
      expectCode(() => signer.verify({ ...envelope, signatures: [] }, FILES), 'FALAJ_SIGNATURE_INVALID', /no signature/);
      expectCode(() => signer.verify({ ...envelope, signatures: [{ keyid: platformKey.keyId, sig: sig.slice(0, 40) }] }, FILES), 'FALAJ_SIGNATURE_INVALID');
      expectCode(() => signer.verify({ ...envelope, signatures: [{ keyid: platformKey.keyId, sig: `${sig}!!` }] }, FILES), 'FALAJ_SIGNATURE_INVALID');
      expectCode(() => signer.verify({ ...envelope, payload: '%%%' }, FILES), 'FALAJ_SIGNATURE_INVALID', /not base64/);
      expectCode(() => signer.verify({} as DsseEnvelope, FILES), 'FALAJ_SIGNATURE_INVALID', /not a DSSE envelope/);
    });

    it('but accepts a valid signature next to a foreign one, and URL-safe base64 as DSSE allows', () => {
      const envelope = signer.sign('fraud', FILES);
      const foreign = createModelSigner(SigningKey.generate()).sign('fraud', FILES).signatures[0]!;
      expect(() => signer.verify({ ...envelope, signatures: [foreign, ...envelope.signatures] }, FILES)).not.toThrow();
      const urlSafe = Buffer.from(envelope.signatures[0]!.sig, 'base64').toString('base64url');
      expect(() => signer.verify({ ...envelope, signatures: [{ keyid: platformKey.keyId, sig: urlSafe }] }, FILES)).not.toThrow();
    });
  });

  describe('refuses files that differ from the signed list with FALAJ_ARTIFACT_TAMPERED, naming the file', () => {
    const envelope = signer.sign('fraud', FILES);

    it('a changed file', () => {
      const files = FILES.map((f) => (f.name === 'conda.yaml' ? { ...f, sha256: sha256Hex('other') } : f));
      const error = expectCode(() => signer.verify(envelope, files), 'FALAJ_ARTIFACT_TAMPERED', /"conda.yaml" has SHA-256/);
      expect(error.details).toEqual({ problems: [{ file: 'conda.yaml', problem: expect.stringContaining('was signed') }] });
    });

    it('a missing file', () => {
      expectCode(() => signer.verify(envelope, FILES.slice(1)), 'FALAJ_ARTIFACT_TAMPERED', /"weights\/model.onnx" is signed but missing/);
    });

    it('an extra file', () => {
      const files = [...FILES, { name: 'loader.py', sha256: sha256Hex('import os') }];
      expectCode(() => signer.verify(envelope, files), 'FALAJ_ARTIFACT_TAMPERED', /"loader.py" is not among the signed files/);
    });
  });

  describe('speaks standard DSSE', () => {
    it('builds the PAE exactly as the DSSE spec’s example', () => {
      // protocol.md: PAE("http://example.com/HelloWorld", "hello world")
      expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString('utf8')).toBe(
        'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
      );
      // lengths are byte counts, not characters
      expect(preAuthEncoding('t', Buffer.from('é', 'utf8')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
    });

    it('signs the PAE of its envelope, which node’s crypto verifies with the public key alone', () => {
      const envelope = signer.sign('fraud', FILES);
      const body = Buffer.from(envelope.payload, 'base64');
      const type = 'application/vnd.in-toto+json';
      // "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, by hand
      const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${body.length} `), body]);
      expect(preAuthEncoding(envelope.payloadType, body)).toEqual(pae);
      const publicKey = createPublicKey(platformKey.publicKeyPem());
      expect(verify(null, pae, publicKey, Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(true);
      expect(verify(null, Buffer.concat([pae, Buffer.from(' ')]), publicKey, Buffer.from(envelope.signatures[0]!.sig, 'base64'))).toBe(false);
    });

    it('lets an auditor with only the public key PEM verify offline', () => {
      const envelope = JSON.parse(JSON.stringify(signer.sign('fraud', FILES))) as DsseEnvelope;
      const payload = verifyDsseWithPublicKey(envelope, platformKey.publicKeyPem());
      expect((JSON.parse(payload.toString('utf8')) as ModelStatement).predicate.name).toBe('fraud');
      expectCode(() => verifyDsseWithPublicKey(envelope, SigningKey.generate().publicKeyPem()), 'FALAJ_SIGNATURE_INVALID');
    });

    it('verifies with the openssl command line', (ctx) => {
      try {
        execFileSync('openssl', ['version'], { stdio: 'ignore' });
      } catch {
        console.warn('skipping the openssl check: no openssl on PATH');
        ctx.skip();
      }
      const envelope = signer.sign('fraud', FILES);
      const dir = mkdtempSync(join(tmpdir(), 'falaj-dsse-'));
      try {
        const body = Buffer.from(envelope.payload, 'base64');
        writeFileSync(join(dir, 'pub.pem'), platformKey.publicKeyPem());
        writeFileSync(join(dir, 'pae.bin'), preAuthEncoding(envelope.payloadType, body));
        writeFileSync(join(dir, 'sig.bin'), Buffer.from(envelope.signatures[0]!.sig, 'base64'));
        writeFileSync(join(dir, 'edited.bin'), preAuthEncoding(envelope.payloadType, Buffer.concat([body, Buffer.from(' ')])));
        const check = (file: string) =>
          execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', file, '-sigfile', 'sig.bin'], {
            cwd: dir,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          });
        expect(check('pae.bin')).toMatch(/Signature Verified Successfully/);
        expect(() => check('edited.bin')).toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
