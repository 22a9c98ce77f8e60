import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { configKeys, getPath, parseEnvValue, setPath } from './config-sources.js';
import { ConfigSchema, type FalajConfig } from './config.schema.js';

export interface LoadConfigOptions {
  /** Path of a YAML or JSON config file (`--config`, else `FALAJ_CONFIG`). */
  file?: string | undefined;
  /** Environment to read `FALAJ_*` variables from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Flag values by dotted key path, e.g. `{ 'server.port': 9000 }`; they win over everything. */
  flags?: Record<string, unknown>;
  /** Directory that relative paths are resolved against (default `process.cwd()`). */
  cwd?: string;
}

/** A validated, frozen configuration and where each explicitly set key came from. */
export interface LoadedConfig {
  config: Readonly<FalajConfig>;
  /** dotted key → `file <path>` | `env FALAJ_…` | `flag` */
  sources: Record<string, string>;
  file: string | undefined;
}

const KEYS = configKeys(ConfigSchema);

/**
 * Reads the config file, the environment and flags (in rising precedence), fills
 * defaults, validates against {@link ConfigSchema} and freezes the result. Fails fast
 * with a {@link ConfigError} that names the key and where its value came from.
 *
 * @example
 * const { config } = loadConfig({ file: 'falaj.yaml', flags: { 'server.port': 9000 } });
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? env.FALAJ_CONFIG;
  const raw: Record<string, unknown> = file ? readConfigFile(resolve(cwd, file)) : {};
  const sources: Record<string, string> = {};
  if (file) for (const key of KEYS) if (getPath(raw, key.path) !== undefined) sources[key.path] = `file ${file}`;

  for (const key of KEYS) {
    const value = env[key.env];
    if (value === undefined || value === '') continue;
    setPath(raw, key.path, parseEnvValue(value, key.schema));
    sources[key.path] = `env ${key.env}`;
  }
  for (const [path, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    setPath(raw, path, value);
    sources[path] = 'flag';
  }

  const withDefaults = Value.Default(ConfigSchema, raw) as Record<string, unknown>;
  const firstError = Value.Errors(ConfigSchema, withDefaults).First();
  if (firstError) {
    const path = firstError.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const source = sources[path] ?? (file ? `file ${file}` : 'defaults');
    const hint = firstError.message.startsWith('Unexpected property') ? ' (unknown key)' : '';
    throw new ConfigError('FALAJ_CONFIG_INVALID', `config key ${path}: ${firstError.message}${hint} (from ${source})`, {
      details: { key: path, source },
    });
  }
  const config = resolvePaths(withDefaults as FalajConfig, cwd);
  return { config: deepFreeze(config), sources, file };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('FALAJ_CONFIG_FILE_UNREADABLE', `cannot read config file ${path}: ${(cause as Error).message}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON, so one parser reads both
  } catch (cause) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `config file ${path} is not valid YAML/JSON: ${(cause as Error).message}`, { cause });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('FALAJ_CONFIG_INVALID', `config file ${path} must hold a mapping of keys`);
  }
  return parsed as Record<string, unknown>;
}

function resolvePaths(config: FalajConfig, cwd: string): FalajConfig {
  const dataDir = resolve(cwd, config.dataDir);
  const at = (p: string | undefined, fallback: string) => (p ? resolve(cwd, p) : join(dataDir, fallback));
  const metadataUrl = config.metadata.url;
  return {
    ...config,
    dataDir,
    metadata: {
      ...config.metadata,
      url: metadataUrl && isPostgresUrl(metadataUrl) ? metadataUrl : at(metadataUrl, 'metadata.db'),
    },
    security: {
      ...config.security,
      keyringFile: at(config.security.keyringFile, 'keys/keyring.json'),
      signingKeyFile: at(config.security.signingKeyFile, 'keys/signing-key.pem'),
    },
    server: {
      ...config.server,
      ...(config.server.tlsCert ? { tlsCert: absolute(cwd, config.server.tlsCert) } : {}),
      ...(config.server.tlsKey ? { tlsKey: absolute(cwd, config.server.tlsKey) } : {}),
      ...(config.server.tlsClientCa ? { tlsClientCa: absolute(cwd, config.server.tlsClientCa) } : {}),
    },
  };
}

const absolute = (cwd: string, p: string) => (isAbsolute(p) ? p : resolve(cwd, p));

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
