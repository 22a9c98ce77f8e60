import type { FastifyRequest } from 'fastify';
import { Type, type TString } from '@sinclair/typebox';
import { InputError } from '../core/errors/index.js';

/** Inputs of the registry routes as MLflow clients send them. */

/** A version number as MLflow sends it: a string of digits. */
export function versionNumber(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new InputError('FALAJ_VALIDATION_FAILED', `version must be a positive whole number, not "${text}"`);
  return Number(text);
}

/**
 * A DELETE's input schemas: the fields in the JSON body (as the client sends them) or the
 * query string (as curl users do), each optional in both, required in their union.
 */
export function deleteInputSchema<T extends Record<string, TString>>(fields: T) {
  const optional = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)]));
  return { body: Type.Object(optional, { additionalProperties: true }), querystring: Type.Object(optional, { additionalProperties: true }) };
}

/** A DELETE's fields, query string and body together (the body wins). */
export function deleteInput(request: FastifyRequest): Record<string, unknown> {
  return { ...(request.query as Record<string, unknown>), ...(request.body as Record<string, unknown> | undefined) };
}

/** A field that must be there, with MLflow's wording when it is not. */
export function required(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw new InputError('FALAJ_VALIDATION_FAILED', `Missing value for required parameter '${field}'`);
  return value;
}
