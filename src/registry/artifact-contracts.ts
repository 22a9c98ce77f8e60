import type { Readable } from 'node:stream';
import type { RequestContext } from '../security/index.js';

/**
 * Contracts between tracking (run artifacts), the artifact store and the registry, fixed
 * up front so each can be built on its own.
 */

/** A file logged under a run: its path inside the run, digest and size (plaintext). */
export interface ArtifactInfo {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Run artifacts, content-addressed by SHA-256 and encrypted at rest. Every read is
 * audited and checked against the recorded digest.
 */
export interface ArtifactStore {
  put(ctx: RequestContext, project: string, runId: string, path: string, body: Buffer | Readable): Promise<ArtifactInfo>;
  /** files under `prefix` (a directory path inside the run; '' for all), by path */
  list(project: string, runId: string, prefix?: string): Promise<ArtifactInfo[]>;
  /** the plaintext; verified against its SHA-256 as it streams (a mismatch errors the stream) */
  open(ctx: RequestContext, project: string, runId: string, path: string): Promise<{ info: ArtifactInfo; stream: Readable }>;
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse) around an in-toto statement. */
export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the statement JSON */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/**
 * Signs and verifies the list of a model's files, in the shape of the OpenSSF
 * model-signing format: an in-toto v1 statement whose subjects are the files with their
 * SHA-256, in a DSSE envelope signed with the platform's Ed25519 key.
 */
export interface ModelSigner {
  sign(modelName: string, files: readonly { name: string; sha256: string }[]): DsseEnvelope;
  /** throws IntegrityError `FALAJ_SIGNATURE_INVALID` (bad signature, wrong key) or `FALAJ_ARTIFACT_TAMPERED` (files differ) */
  verify(envelope: DsseEnvelope, files: readonly { name: string; sha256: string }[]): void;
}
