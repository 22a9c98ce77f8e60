import type { Classification } from '../security/index.js';
import type { LineageInput } from './lineage/lineage.js';
import type { Tags } from './model-types.js';

/** What callers hand the registry (our routes, the MLflow layer, the SDK). */

export interface CreateVersionInput {
  /** `runs:/<run_id>/<path>` (files listed, signed, ONNX signature read), or an external location */
  source: string;
  /** the run, when `source` is not a `runs:/` URI (with `artifactPath`) */
  runId?: string | undefined;
  artifactPath?: string | undefined;
  description?: string | undefined;
  tags?: Tags | undefined;
  lineage?: LineageInput | undefined;
  /** a floor: the version is at least this protected, more if its training data says so */
  classification?: Classification | undefined;
}

export interface ModelSearch {
  /** case-insensitive pattern, `%` and `_` wildcards */
  nameLike?: string | undefined;
  /** every tag must match exactly */
  tags?: Tags | undefined;
  orderBy?: 'name' | 'createdAt' | 'updatedAt' | undefined;
  descending?: boolean | undefined;
  maxResults?: number | undefined;
  pageToken?: string | undefined;
}

export interface VersionSearch {
  model?: string | undefined;
  modelLike?: string | undefined;
  runId?: string | undefined;
  tags?: Tags | undefined;
  maxResults?: number | undefined;
  pageToken?: string | undefined;
}
