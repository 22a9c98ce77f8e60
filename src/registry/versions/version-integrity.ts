import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FalajError, IntegrityError, InputError, NotFoundError, UnavailableError, UnprocessableError } from '../../core/errors/index.js';
import type { AuditLog, RequestContext } from '../../security/index.js';
import type { ArtifactStore, DsseEnvelope, ModelSigner } from '../artifact-contracts.js';
import type { ModelFile } from '../model-types.js';
import { type OnnxSignature, readOnnxSignature } from '../onnx/onnx-signature.js';
import { digestStream, listModelFiles, onnxFileOf, type RunModelFile, sameFiles, subjects } from './model-files.js';
import type { ModelVersionTable } from './model-version.table.js';

/** What registration learns from a run's files before the version is numbered. */
export interface CollectedFiles {
  files: RunModelFile[];
  onnx: OnnxSignature | null;
  /** why the ONNX file could not be read (the version is then FAILED_REGISTRATION) */
  onnxError: string | null;
}

/**
 * A model version's files and their signature: collecting them at registration, and
 * checking them on every verification and every read. Any mismatch is written to the
 * audit log as `model.tampered` before the IntegrityError reaches the caller.
 */
export class VersionIntegrity {
  constructor(
    private readonly audit: AuditLog,
    private readonly artifacts: ArtifactStore | undefined,
    private readonly signer: ModelSigner | undefined,
  ) {}

  /** Lists the model's files in the run and reads the ONNX signature (an audited read). */
  async collect(ctx: RequestContext, project: string, runId: string, path: string): Promise<CollectedFiles> {
    const { artifacts } = this.need();
    const files = await listModelFiles(artifacts, project, runId, path);
    if (files.length === 0) {
      throw new UnprocessableError('FALAJ_ARTIFACT_NOT_FOUND', `run ${runId} has no artifacts under "${path}": log the model's files to the run first, then register runs:/${runId}/${path}`);
    }
    const onnxFile = onnxFileOf(files);
    if (!onnxFile) return { files, onnx: null, onnxError: null };
    const { stream } = await artifacts.open(ctx, project, runId, onnxFile.path);
    try {
      return { files, onnx: await readOnnxSignature(stream), onnxError: null };
    } catch (err) {
      if (err instanceof InputError && err.code === 'FALAJ_ONNX_INVALID') return { files, onnx: null, onnxError: `${onnxFile.name}: ${err.message}` };
      throw err;
    } finally {
      stream.destroy();
    }
  }

  /** Signs the file list (an in-toto statement in a DSSE envelope). */
  sign(subject: string, files: readonly ModelFile[]): { envelope: DsseEnvelope; keyId: string | null } {
    const envelope = this.need().signer.sign(subject, subjects(files));
    return { envelope, keyId: envelope.signatures[0]?.keyid ?? null };
  }

  /**
   * Re-lists the run's files and checks them against the signed statement and the
   * registry's record; with `deep`, also re-reads every file and hashes its bytes.
   * @returns the files as they are now (with their paths in the run)
   */
  async verify(ctx: RequestContext, row: ModelVersionTable, deep: boolean): Promise<RunModelFile[]> {
    const { artifacts, signer } = this.need();
    if (!row.signature || !row.run_id || row.artifact_path === null) {
      throw new IntegrityError('FALAJ_MODEL_UNSIGNED', `version ${row.version} of ${row.model} was registered from an external source (${row.source}) and has no signature: register it from a run's artifacts`);
    }
    const current = await listModelFiles(artifacts, row.project, row.run_id, row.artifact_path);
    await this.guard(ctx, row, async () => {
      let envelope: DsseEnvelope;
      try {
        envelope = JSON.parse(row.signature!) as DsseEnvelope;
      } catch (cause) {
        throw new IntegrityError('FALAJ_SIGNATURE_INVALID', 'the stored signature is not a DSSE envelope', { cause });
      }
      signer.verify(envelope, subjects(current));
      if (!sameFiles(JSON.parse(row.files) as ModelFile[], current)) {
        throw new IntegrityError('FALAJ_ARTIFACT_TAMPERED', "the registry's record of the files differs from the signed files");
      }
      if (!deep) return;
      for (const file of current) {
        const { stream } = await artifacts.open(ctx, row.project, row.run_id!, file.path);
        const actual = await digestStream(stream);
        if (actual.sha256 !== file.sha256) throw new IntegrityError('FALAJ_ARTIFACT_TAMPERED', `${file.name}: its bytes do not match the signed SHA-256`);
      }
    });
    return current;
  }

  /** Verifies the signature, then streams one file (the store checks its digest as it goes). */
  async open(ctx: RequestContext, row: ModelVersionTable, name: string): Promise<{ file: ModelFile; stream: Readable }> {
    const { artifacts } = this.need();
    const current = await this.verify(ctx, row, false);
    const file = current.find((f) => f.name === name);
    if (!file) throw new NotFoundError('FALAJ_ARTIFACT_NOT_FOUND', `version ${row.version} of ${row.model} has no file "${name}" (it has ${current.map((f) => f.name).join(', ')})`);
    const opened = await this.guard(ctx, row, async () => {
      const result = await artifacts.open(ctx, row.project, row.run_id!, file.path);
      if (result.info.sha256 !== file.sha256) {
        result.stream.destroy();
        throw new IntegrityError('FALAJ_ARTIFACT_TAMPERED', `${file.name}: the stored file is not the signed one`);
      }
      return result;
    });
    const out = new PassThrough();
    // a digest mismatch surfaces mid-stream: the reader gets the error, the audit log the event
    pipeline(opened.stream, out).catch(async (err: unknown) => {
      if (err instanceof IntegrityError) await this.recordTampering(ctx, row, err).catch(() => undefined);
    });
    return { file: { name: file.name, sha256: file.sha256, bytes: file.bytes }, stream: out };
  }

  /** Runs a check; an IntegrityError from it is audited as `model.tampered` and rethrown. */
  private async guard<T>(ctx: RequestContext, row: ModelVersionTable, check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      if (err instanceof IntegrityError) await this.recordTampering(ctx, row, err);
      throw err;
    }
  }

  private async recordTampering(ctx: RequestContext, row: ModelVersionTable, err: FalajError): Promise<void> {
    await this.audit.record({
      actor: ctx.principal.id,
      action: 'model.tampered',
      resource: `model/${row.model}/versions/${row.version}`,
      project: row.project,
      outcome: 'failure',
      requestId: ctx.requestId,
      details: { code: err.code, reason: err.message, runId: row.run_id, artifactPath: row.artifact_path },
    });
  }

  private need(): { artifacts: ArtifactStore; signer: ModelSigner } {
    if (!this.artifacts || !this.signer) {
      throw new UnavailableError('FALAJ_UNAVAILABLE', 'the model registry has no artifact store or model signer configured, so it cannot register or verify models from run artifacts');
    }
    return { artifacts: this.artifacts, signer: this.signer };
  }
}
