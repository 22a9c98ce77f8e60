import { Type, type TObject, type TProperties } from '@sinclair/typebox';

/**
 * RFC 9457 problem details, the body of every error answer, with Falaj's extension
 * members: `code` (stable, from the error registry), `requestId`, and for validation
 * failures `errors` (one entry per failing field).
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    code: Type.String(),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: 'RFC 9457 problem details' },
);

/** Error statuses every authenticated route can answer with. */
export const COMMON_ERROR_STATUSES = [400, 401, 403, 413, 415, 500] as const;

/** `{ 400: Problem, 401: Problem, … }` for a route's response schema map. */
export function problemResponses(...extra: number[]): Record<number, typeof ProblemSchema> {
  const out: Record<number, typeof ProblemSchema> = {};
  for (const status of [...COMMON_ERROR_STATUSES, ...extra]) out[status] = ProblemSchema;
  return out;
}

/** An object schema that rejects unknown properties (bad input gets a clear 400). */
export function StrictObject<T extends TProperties>(properties: T, options: { description?: string; $id?: string } = {}): TObject<T> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}
