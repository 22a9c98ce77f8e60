import type { TSchema } from '@sinclair/typebox';

/** One settable leaf of the config schema, with the environment variable that sets it. */
export interface ConfigKey {
  path: string;
  env: string;
  schema: TSchema;
  secret: boolean;
}

/** `server.tlsClientCa` → `FALAJ_SERVER_TLS_CLIENT_CA`. */
export function envNameFor(path: string): string {
  return 'FALAJ_' + path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Lists every leaf key of an object schema (records and arrays are leaves, set as JSON). */
export function configKeys(schema: TSchema, prefix = ''): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  for (const [name, child] of Object.entries(properties)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const isPlainObject = child.type === 'object' && (child as { properties?: unknown }).properties !== undefined;
    if (isPlainObject && (child as { patternProperties?: unknown }).patternProperties === undefined) {
      keys.push(...configKeys(child, path));
    } else {
      keys.push({ path, env: envNameFor(path), schema: child, secret: (child as { secret?: boolean }).secret === true });
    }
  }
  return keys;
}

/**
 * Turns an environment string into the type the schema expects. Returns the string
 * unchanged when it cannot convert, so that validation reports the key and the source.
 */
export function parseEnvValue(raw: string, schema: TSchema): unknown {
  const type = schema.type ?? (schema.anyOf ? 'string' : undefined);
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  }
  if (type === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    return raw;
  }
  if (type === 'object' || type === 'array') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

export function getPath(target: Record<string, unknown>, path: string): unknown {
  let cursor: unknown = target;
  for (const part of path.split('.')) {
    if (cursor === null || typeof cursor !== 'object') return undefined;
    cursor = (cursor as Record<string, unknown>)[part];
  }
  return cursor;
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cursor = target;
  for (const part of parts.slice(0, -1)) {
    const next = cursor[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[part] = {};
    cursor = cursor[part] as Record<string, unknown>;
  }
  cursor[parts[parts.length - 1]!] = value;
}
