import type { Classification } from '../security/index.js';
import type { DsseEnvelope } from './artifact-contracts.js';
import type { AliasApprovalTable, ModelAliasTable } from './aliases/model-alias.table.js';
import type { AliasApproval, ApprovalStatus, ModelAlias, ModelFile, ModelLineage, ModelVersion, ModelVersionStatus, RegisteredModel, Tags } from './model-types.js';
import type { RegisteredModelTable } from './models/registered-model.table.js';
import type { OnnxSignature } from './onnx/onnx-signature.js';
import type { ModelVersionTable } from './versions/model-version.table.js';

/** Rows → the registry's wire shapes. */

export function toModel(row: RegisteredModelTable, aliases: ModelAliasTable[], latestVersion: number | undefined): RegisteredModel {
  return {
    project: row.project,
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags) as Tags,
    classification: row.classification as Classification,
    aliases: aliases.map((a) => ({ alias: a.alias, version: a.version })),
    latestVersion: latestVersion ?? null,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

export function toVersion(row: ModelVersionTable, aliases: string[]): ModelVersion {
  return {
    project: row.project,
    model: row.model,
    version: row.version,
    source: row.source,
    runId: row.run_id,
    artifactPath: row.artifact_path,
    status: row.status as ModelVersionStatus,
    statusMessage: row.status_message,
    description: row.description,
    tags: JSON.parse(row.tags) as Tags,
    lineage: JSON.parse(row.lineage) as ModelLineage,
    classification: row.classification as Classification,
    files: JSON.parse(row.files) as ModelFile[],
    signature: row.signature ? (JSON.parse(row.signature) as DsseEnvelope) : null,
    signatureKeyId: row.signature_key_id,
    onnxSignature: row.onnx_signature ? (JSON.parse(row.onnx_signature) as OnnxSignature) : null,
    aliases,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

export function toAlias(row: ModelAliasTable, isProtected: boolean): ModelAlias {
  return { model: row.model, alias: row.alias, version: row.version, protected: isProtected, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

export function toApproval(row: AliasApprovalTable): AliasApproval {
  return {
    id: row.id,
    project: row.project,
    model: row.model,
    alias: row.alias,
    version: row.version,
    status: row.status as ApprovalStatus,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    note: row.note,
  };
}
