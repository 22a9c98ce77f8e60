import { Type } from '@sinclair/typebox';
import { toProblem } from '../core/http/to-problem.js';

/**
 * MLflow's error body (`mlflow/exceptions.py`, `MlflowException.serialize_as_json`). The
 * stock client raises `RestException(error_code, message)` from any non-200 answer whose
 * body is a JSON object, and branches on `error_code` (e.g. `register_model` carries on
 * after `RESOURCE_ALREADY_EXISTS`, `set_experiment` creates after `RESOURCE_DOES_NOT_EXIST`).
 */
export interface MlflowErrorBody {
  error_code: MlflowErrorCode;
  message: string;
}

/** The subset of `databricks.proto` `ErrorCode` names Falaj answers with. */
export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'MALFORMED_REQUEST'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_CONFLICT'
  | 'ENDPOINT_NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'DATA_LOSS'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export const MlflowErrorSchema = Type.Object(
  { error_code: Type.String(), message: Type.String() },
  { description: 'MLflow error: {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}' },
);

/** `{ 400: MlflowError, … }` for an MLflow route's response schema map. */
export function mlflowErrorResponses(): Record<number, typeof MlflowErrorSchema> {
  const out: Record<number, typeof MlflowErrorSchema> = {};
  for (const status of [400, 401, 403, 404, 409, 413, 415, 422, 500, 503]) out[status] = MlflowErrorSchema;
  return out;
}

/** Falaj codes whose MLflow counterpart is not the one their error class implies. */
const BY_FALAJ_CODE: Partial<Record<string, { code: MlflowErrorCode; status: number }>> = {
  // MLflow answers "already exists" with 400, not 409 (`ERROR_CODE_TO_HTTP_STATUS`).
  FALAJ_EXPERIMENT_EXISTS: { code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  FALAJ_MODEL_EXISTS: { code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  FALAJ_PROJECT_EXISTS: { code: 'RESOURCE_ALREADY_EXISTS', status: 400 },
  // MLflow's stores raise INVALID_PARAMETER_VALUE for a changed param and for writes to a
  // deleted run; a 409 would be a status the client has never seen for these.
  FALAJ_PARAM_IMMUTABLE: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  FALAJ_RUN_NOT_ACTIVE: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  FALAJ_ROUTE_NOT_FOUND: { code: 'ENDPOINT_NOT_FOUND', status: 404 },
  FALAJ_INVALID_JSON: { code: 'MALFORMED_REQUEST', status: 400 },
  // Tampered bytes are permanent: MLflow's DATA_LOSS is a 500, which the client retries
  // with back-off for minutes; 422 fails at once with the same code.
  FALAJ_ARTIFACT_TAMPERED: { code: 'DATA_LOSS', status: 422 },
  FALAJ_SIGNATURE_INVALID: { code: 'DATA_LOSS', status: 422 },
  FALAJ_CRYPTO_TAMPERED: { code: 'DATA_LOSS', status: 422 },
};

/** By the HTTP status Falaj's one problem mapping gives the error. */
const BY_STATUS: Record<number, { code: MlflowErrorCode; status: number }> = {
  400: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  401: { code: 'UNAUTHENTICATED', status: 401 },
  403: { code: 'PERMISSION_DENIED', status: 403 },
  404: { code: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  409: { code: 'RESOURCE_CONFLICT', status: 409 },
  // body and media-type errors keep their status; the client does not retry 413/415
  413: { code: 'INVALID_PARAMETER_VALUE', status: 413 },
  415: { code: 'INVALID_PARAMETER_VALUE', status: 415 },
  422: { code: 'INVALID_PARAMETER_VALUE', status: 400 },
  503: { code: 'TEMPORARILY_UNAVAILABLE', status: 503 },
};

/**
 * Any error thrown on an MLflow route → MLflow's status and body. Classification goes
 * through Falaj's own `toProblem`, so a domain error means the same thing on both APIs;
 * only the wire format differs. Internal errors reveal nothing but the request id.
 */
export function toMlflowError(err: unknown, requestId: string, path: string): { status: number; body: MlflowErrorBody; falajCode: string } {
  const problem = toProblem(err, requestId, path);
  const mapped = BY_FALAJ_CODE[problem.code] ?? BY_STATUS[problem.status] ?? { code: 'INTERNAL_ERROR' as const, status: 500 };
  return { status: mapped.status, body: { error_code: mapped.code, message: problem.detail }, falajCode: problem.code };
}
