import type { Classification } from '../security/index.js';
import type { DsseEnvelope } from './artifact-contracts.js';
import type { OnnxSignature } from './onnx/onnx-signature.js';

/**
 * The registry's nouns, shaped after MLflow's registered models, model versions and
 * aliases (https://mlflow.org/docs/latest/rest-api.html), so the MLflow REST layer maps
 * them field for field; camelCase, times as ISO-8601 strings.
 */

export type Tags = Record<string, string>;

export const MODEL_VERSION_STATUSES = ['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION'] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** Where a model version came from: enough to trace it back to the exact data and code. */
export interface ModelLineage {
  runId: string | null;
  /** training datasets with the digests they had when the model was trained */
  datasets: { id: string; sha256: string }[];
  featureService: { name: string; version: number } | null;
  /** e.g. a git commit */
  codeVersion: string | null;
}

export interface RegisteredModel {
  project: string;
  name: string;
  description: string;
  tags: Tags;
  /** the most protected classification of any version ever registered */
  classification: Classification;
  aliases: { alias: string; version: number }[];
  /** the highest existing version number; null before the first */
  latestVersion: number | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** One file of a model, named relative to the model's directory in the run. */
export interface ModelFile {
  name: string;
  sha256: string;
  bytes: number;
}

export interface ModelVersion {
  project: string;
  model: string;
  version: number;
  source: string;
  runId: string | null;
  artifactPath: string | null;
  status: ModelVersionStatus;
  statusMessage: string | null;
  description: string;
  tags: Tags;
  lineage: ModelLineage;
  classification: Classification;
  files: ModelFile[];
  /** DSSE envelope (in-toto statement listing every file with its SHA-256); null for an external source */
  signature: DsseEnvelope | null;
  signatureKeyId: string | null;
  /** inputs and outputs read from the `.onnx` file, when there is one */
  onnxSignature: OnnxSignature | null;
  aliases: string[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface ModelAlias {
  model: string;
  alias: string;
  version: number;
  /** moving it needs `model:promote` (and an approval when the project asks for one) */
  protected: boolean;
  updatedAt: string;
  updatedBy: string;
}

export const APPROVAL_STATUSES = ['pending', 'approved', 'applied', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A request to move a protected alias, waiting for (or decided by) a second person. */
export interface AliasApproval {
  id: string;
  project: string;
  model: string;
  alias: string;
  version: number;
  status: ApprovalStatus;
  requestedBy: string;
  requestedAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
  note: string | null;
}

/** The answer to an alias move: done, or waiting for approval. */
export type AliasChange = { applied: true; alias: ModelAlias } | { applied: false; approval: AliasApproval };

export interface RegistrySettings {
  project: string;
  /** moving a protected alias needs a second person's approval */
  requireApproval: boolean;
  /** aliases that need `model:promote` (platform-wide) */
  protectedAliases: string[];
}

/** A page of results; pass `nextPageToken` back to get the next one. */
export interface Page<T> {
  items: T[];
  nextPageToken: string | null;
}

export interface VersionVerification {
  model: string;
  version: number;
  verified: true;
  files: number;
  keyId: string | null;
  /** true when every file's bytes were re-read and hashed, not only the recorded digests */
  deep: boolean;
}
