import type { FastifyInstance } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false };

/**
 * Validators per request part. Query strings, path parameters and headers arrive as
 * text, so they are coerced to the schema's types (`?limit=10` → 10). Bodies are JSON and
 * already typed: they are never coerced, so `{"description": 12}` is a 400 rather than a
 * silent `"12"`, and a string is never turned into a one-element list.
 */
export function registerValidation(app: FastifyInstance): void {
  const textParts = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  const body = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : textParts).compile(schema));
}
