import type { FastifyInstance } from 'fastify';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import serializerSelectorModule from '@fastify/fast-json-stringify-compiler';

// ajv-formats and the serializer compiler are CommonJS; under NodeNext the default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
type Serializer = (doc: unknown) => string;
type SerializerCompiler = (route: { method: string; url: string; httpStatus: string; schema?: unknown }) => Serializer;
const SerializerSelector = serializerSelectorModule as unknown as () => (externalSchemas?: unknown, options?: unknown) => SerializerCompiler;

const COMMON: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false };

/**
 * Compiling every route's schemas (Ajv validators, fast-json-stringify serializers) is
 * most of a cold start's CPU time, and most routes of a small deployment are never
 * called. So each validator and serializer compiles on its first use; the thunks are
 * kept here so a test can compile them all and prove every schema is valid.
 */
const pending = new Set<() => unknown>();

/** Compiles every schema not compiled yet (tests; a warm-up). Throws on the first broken one. */
export function compileAllSchemas(): number {
  const all = [...pending];
  for (const compile of all) compile();
  return all.length;
}

/** `compile`, run once on first use; registered so {@link compileAllSchemas} can force it. */
function lazily<T>(compile: () => T): () => T {
  let compiled: T | undefined;
  const ensure = () => {
    if (compiled === undefined) {
      compiled = compile();
      pending.delete(ensure);
    }
    return compiled;
  };
  pending.add(ensure);
  return ensure;
}

function lazyValidator(compile: () => ValidateFunction): ValidateFunction {
  const ensure = lazily(compile);
  // Fastify reads `.errors` off the function it was given after a failed call
  const validate = ((data: unknown) => {
    const fn = ensure();
    const ok = fn(data);
    validate.errors = fn.errors;
    return ok;
  }) as ValidateFunction;
  return validate;
}

function lazySerializer(compile: () => Serializer): Serializer {
  const ensure = lazily(compile);
  return (doc) => ensure()(doc);
}

/** Fastify's own serializer (fast-json-stringify), compiled per route on first use. */
export function lazySerializerFactory(): (externalSchemas?: unknown, options?: unknown) => SerializerCompiler {
  const factory = SerializerSelector();
  return (externalSchemas, options) => {
    const compiler = factory(externalSchemas, options);
    return (route) => lazySerializer(() => compiler(route));
  };
}

/**
 * Validators per request part. Query strings, path parameters and headers arrive as
 * text, so they are coerced to the schema's types (`?limit=10` → 10). Bodies are JSON and
 * already typed: they are never coerced, so `{"description": 12}` is a 400 rather than a
 * silent `"12"`, and a string is never turned into a one-element list.
 */
export function registerValidation(app: FastifyInstance): void {
  const textParts = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  const body = addFormats(new Ajv({ ...COMMON, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => lazyValidator(() => (httpPart === 'body' ? body : textParts).compile(schema)));
}
