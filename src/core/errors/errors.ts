import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** Extra machine-readable detail carried by an error (never secrets). */
export type ErrorDetails = Record<string, unknown>;

/**
 * Base of every Falaj error. Domain errors know nothing of HTTP; the server's one
 * error handler maps each subclass to a status (`src/server/problem.ts`).
 */
export class FalajError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }

  get title(): string {
    return ERROR_CODES[this.code];
  }
}

/** The input is malformed or fails validation (400). */
export class InputError extends FalajError {}
/** The input is well-formed but cannot be processed as it stands (422). */
export class UnprocessableError extends FalajError {}
/** No credentials, or credentials that do not verify (401). */
export class AuthenticationError extends FalajError {}
/** Authenticated, but the principal may not do this (403). */
export class NotAllowedError extends FalajError {}
/** The named resource does not exist (404). */
export class NotFoundError extends FalajError {}
/** The request conflicts with the current state (409). */
export class ConflictError extends FalajError {}
/** The body's content type is not one the route takes (415). */
export class UnsupportedMediaTypeError extends FalajError {}
/** A body or upload is larger than allowed (413). */
export class PayloadTooLargeError extends FalajError {}
/** A dependency is not ready (503). */
export class UnavailableError extends FalajError {}
/** Configuration is invalid: raised at start-up, names the bad key. */
export class ConfigError extends FalajError {}
/** Data failed an integrity check: tampered ciphertext, bad signature, broken chain. */
export class IntegrityError extends FalajError {}

/**
 * A data-protection policy (classification, residency) forbids the operation (403).
 * Always audited by the policy module before it is thrown.
 */
export class PolicyViolationError extends FalajError {
  constructor(message: string, details?: ErrorDetails) {
    super('FALAJ_POLICY_RESIDENCY', message, { details });
  }
}

export function isFalajError(err: unknown): err is FalajError {
  return err instanceof FalajError;
}
