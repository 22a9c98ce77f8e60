import type { FastifyError } from 'fastify';
import {
  AuthenticationError,
  ConfigError,
  ConflictError,
  ERROR_CODES,
  type ErrorCode,
  FalajError,
  InputError,
  IntegrityError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  PolicyViolationError,
  UnavailableError,
  UnprocessableError,
} from '../errors/index.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  details?: Record<string, unknown>;
}

const STATUS_BY_CLASS: [new (...args: never[]) => FalajError, number][] = [
  [InputError, 400],
  [AuthenticationError, 401],
  [NotAllowedError, 403],
  [PolicyViolationError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [UnprocessableError, 422],
  [IntegrityError, 422],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnavailableError, 503],
  [ConfigError, 500],
];

/** Fastify's own error codes, mapped to ours. */
const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'FALAJ_PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'FALAJ_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'FALAJ_BAD_REQUEST' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'FALAJ_INVALID_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'FALAJ_INVALID_JSON' },
  FST_ERR_BAD_URL: { status: 400, code: 'FALAJ_BAD_REQUEST' },
};

const typeUri = (code: string) => `https://falaj.dev/problems/${code.toLowerCase().replace(/^falaj_/, '').replace(/_/g, '-')}`;

/**
 * The one mapping from an error to an HTTP problem. Domain errors map by class;
 * Fastify's validation and body errors by their codes; anything else is a 500 whose
 * detail reveals nothing of the internals.
 */
export function toProblem(err: unknown, requestId: string, instance: string): Problem {
  const base = { requestId, instance };
  if (err instanceof FalajError) {
    const status = STATUS_BY_CLASS.find(([cls]) => err instanceof cls)?.[1] ?? 500;
    return { ...base, type: typeUri(err.code), title: err.title, status, detail: err.message, code: err.code, ...(err.details ? { details: err.details } : {}) };
  }
  const fastifyError = err as Partial<FastifyError> & { validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[] };
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((v) => ({ path: validationPath(v, fastifyError.validationContext), message: v.message ?? 'is invalid' }));
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return { ...base, type: typeUri('FALAJ_VALIDATION_FAILED'), title: ERROR_CODES.FALAJ_VALIDATION_FAILED, status: 400, detail, code: 'FALAJ_VALIDATION_FAILED', errors };
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped || err instanceof SyntaxError) {
    const { status, code } = mapped ?? { status: 400, code: 'FALAJ_INVALID_JSON' as const };
    return { ...base, type: typeUri(code), title: ERROR_CODES[code], status, detail: fastifyError.message ?? ERROR_CODES[code], code };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { ...base, type: typeUri('FALAJ_BAD_REQUEST'), title: ERROR_CODES.FALAJ_BAD_REQUEST, status: fastifyError.statusCode, detail: fastifyError.message ?? 'bad request', code: 'FALAJ_BAD_REQUEST' };
  }
  return { ...base, type: typeUri('FALAJ_INTERNAL'), title: ERROR_CODES.FALAJ_INTERNAL, status: 500, detail: `internal error: quote request id ${requestId} to the operator`, code: 'FALAJ_INTERNAL' };
}

function validationPath(v: { instancePath?: string; params?: Record<string, unknown> }, context: string | undefined): string {
  const where = context ?? 'body';
  const extra = v.params?.additionalProperty ?? v.params?.missingProperty;
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const full = [path, typeof extra === 'string' ? extra : ''].filter(Boolean).join('.');
  return full ? `${where}.${full}` : where;
}
