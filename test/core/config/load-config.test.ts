import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envNameFor, loadConfig, redactConfig, type LoadConfigOptions } from '../../../src/core/config/index.js';
import { ConfigError } from '../../../src/core/errors/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'falaj-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a config file into the temp dir and returns its name (relative to `dir`). */
async function configFile(name: string, text: string): Promise<string> {
  await writeFile(join(dir, name), text);
  return name;
}

/** Always pass an explicit env, so the test runner's own FALAJ_* variables never leak in. */
const load = (options: LoadConfigOptions = {}) => loadConfig({ env: {}, cwd: dir, ...options });

/** The ConfigError a bad load throws (fails the test if it does not throw one). */
function configErrorOf(options: LoadConfigOptions): ConfigError {
  try {
    load(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig accepted an invalid configuration');
}

describe('loadConfig defaults', () => {
  it('fills every default and resolves paths against cwd', () => {
    const { config, sources, file } = load();
    expect(file).toBeUndefined();
    expect(sources).toEqual({});
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 1_048_576, shutdownGraceMs: 10_000 });
    expect(config.log.level).toBe('info');
    expect(config.dataDir).toBe(join(dir, '.falaj'));
    expect(config.metadata).toMatchObject({ url: join(dir, '.falaj', 'metadata.db'), poolSize: 10, region: 'local' });
    expect(config.security.keyringFile).toBe(join(dir, '.falaj', 'keys', 'keyring.json'));
    expect(config.security.signingKeyFile).toBe(join(dir, '.falaj', 'keys', 'signing-key.pem'));
    expect(config.security.masterKey).toBeUndefined();
    expect(config.regions).toEqual({ local: { inCountry: true, description: 'this machine' } });
    expect([config.blob.region, config.online.region, config.offline.region]).toEqual(['local', 'local', 'local']);
  });

  it('keeps a postgres metadata url as given, but resolves a SQLite path', () => {
    expect(load({ flags: { 'metadata.url': 'postgres://db:5432/falaj' } }).config.metadata.url).toBe('postgres://db:5432/falaj');
    expect(load({ flags: { 'metadata.url': 'meta/m.db' } }).config.metadata.url).toBe(join(dir, 'meta', 'm.db'));
  });
});

describe('loadConfig precedence: file < env < flags', () => {
  const yaml = ['server:', '  port: 7000', '  host: 0.0.0.0', 'metadata:', '  url: postgres://file-host:5432/falaj', 'log:', '  level: warn'].join('\n');

  it('reads a YAML file', async () => {
    const name = await configFile('falaj.yaml', yaml);
    const { config, sources, file } = load({ file: name });
    expect(file).toBe(name);
    expect(config.server.port).toBe(7000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.metadata.url).toBe('postgres://file-host:5432/falaj');
    expect(config.log.level).toBe('warn');
    expect(sources['server.port']).toBe(`file ${name}`);
  });

  it('finds the file through FALAJ_CONFIG', async () => {
    const name = await configFile('via-env.yaml', yaml);
    expect(load({ env: { FALAJ_CONFIG: name } }).config.server.port).toBe(7000);
  });

  it('lets the environment override the file, typed by the schema', async () => {
    const name = await configFile('env.yaml', yaml);
    const { config, sources } = load({ file: name, env: { FALAJ_SERVER_PORT: '7100', FALAJ_METADATA_URL: 'postgres://env-host:5432/falaj' } });
    expect(config.server.port).toBe(7100);
    expect(config.metadata.url).toBe('postgres://env-host:5432/falaj');
    expect(config.server.host).toBe('0.0.0.0'); // untouched keys keep the file's value
    expect(sources['server.port']).toBe('env FALAJ_SERVER_PORT');
    expect(sources['metadata.url']).toBe('env FALAJ_METADATA_URL');
  });

  it('ignores an empty environment variable', async () => {
    const name = await configFile('empty-env.yaml', yaml);
    expect(load({ file: name, env: { FALAJ_SERVER_PORT: '' } }).config.server.port).toBe(7000);
  });

  it('lets flags override both', async () => {
    const name = await configFile('flags.yaml', yaml);
    const { config, sources } = load({
      file: name,
      env: { FALAJ_SERVER_PORT: '7100', FALAJ_METADATA_URL: 'postgres://env-host:5432/falaj' },
      flags: { 'server.port': 7200, 'metadata.url': 'postgres://flag-host:5432/falaj', 'log.level': undefined },
    });
    expect(config.server.port).toBe(7200);
    expect(config.metadata.url).toBe('postgres://flag-host:5432/falaj');
    expect(config.log.level).toBe('warn'); // an undefined flag is "not given"
    expect(sources['server.port']).toBe('flag');
  });

  it('sets regions from JSON in the environment', () => {
    const regions = { local: { inCountry: true }, 'eu-west-1': { inCountry: false, description: 'Ireland' } };
    const { config, sources } = load({ env: { FALAJ_REGIONS: JSON.stringify(regions), FALAJ_ONLINE_REGION: 'eu-west-1' } });
    expect(config.regions).toEqual(regions);
    expect(config.online.region).toBe('eu-west-1');
    expect(sources.regions).toBe('env FALAJ_REGIONS');
  });
});

describe('loadConfig errors name the key and its source', () => {
  it('FALAJ_SERVER_PORT=abc', () => {
    const err = configErrorOf({ env: { FALAJ_SERVER_PORT: 'abc' } });
    expect(err.code).toBe('FALAJ_CONFIG_INVALID');
    expect(err.message).toContain('server.port');
    expect(err.message).toContain('FALAJ_SERVER_PORT');
    expect(err.details).toEqual({ key: 'server.port', source: 'env FALAJ_SERVER_PORT' });
  });

  it('a port out of range from the file', async () => {
    const name = await configFile('range.yaml', 'server:\n  port: 70000\n');
    const err = configErrorOf({ file: name });
    expect(err.message).toContain('server.port');
    expect(err.message).toContain(name);
  });

  it('an unknown key in the file', async () => {
    const name = await configFile('unknown.yaml', 'server:\n  prot: 9000\n');
    const err = configErrorOf({ file: name });
    expect(err.message).toContain('server.prot');
    expect(err.message).toContain('unknown key');
    expect(err.message).toContain(name);
  });

  it('an unknown top-level key in the file', async () => {
    const name = await configFile('unknown-top.yaml', 'servr:\n  port: 9000\n');
    expect(configErrorOf({ file: name }).message).toContain('servr');
  });

  it('a bad flag', () => {
    const err = configErrorOf({ flags: { 'log.level': 'loud' } });
    expect(err.message).toContain('log.level');
    expect(err.message).toContain('flag');
  });

  it('FALAJ_REGIONS that is not JSON', () => {
    const err = configErrorOf({ env: { FALAJ_REGIONS: '{local: yes' } });
    expect(err.message).toContain('regions');
    expect(err.message).toContain('FALAJ_REGIONS');
  });

  it('a region label that breaks the pattern, and its unvalidated entry', () => {
    // Type.Record(pattern) alone leaves non-matching keys unchecked: 'EU West' (and its
    // value, inCountry: 'no', which is truthy) would slip past validation.
    expect(configErrorOf({ flags: { regions: { 'EU West': { inCountry: false } } } }).message).toContain('regions');
    expect(configErrorOf({ flags: { regions: { UAE: { inCountry: 'no' } } } }).message).toContain('regions');
  });

  it('a missing file and a file that is not a mapping', async () => {
    expect(configErrorOf({ file: 'does-not-exist.yaml' }).code).toBe('FALAJ_CONFIG_FILE_UNREADABLE');
    const list = await configFile('list.yaml', '- a\n- b\n');
    expect(configErrorOf({ file: list }).code).toBe('FALAJ_CONFIG_INVALID');
    const broken = await configFile('broken.yaml', 'server: [unclosed\n');
    expect(configErrorOf({ file: broken }).message).toContain('broken.yaml');
  });
});

describe('the loaded config is frozen', () => {
  it('refuses changes at every depth', () => {
    const { config } = load({ flags: { regions: { local: { inCountry: true } } } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.regions.local)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.regions as Record<string, { inCountry: boolean }>).evil = { inCountry: true };
    }).toThrow(TypeError);
    expect(config.server.port).toBe(8080);
  });
});

describe('redactConfig', () => {
  const secretUrl = 'postgres://falaj:s3cr3t-pw@db.internal.example:5432/falaj';

  it('hides the master key and the metadata password, keeps the host', () => {
    const { config } = load({ env: { FALAJ_SECURITY_MASTER_KEY: 'bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk=', FALAJ_METADATA_URL: secretUrl } });
    const redacted = redactConfig(config);
    expect(redacted.security.masterKey).toBe('***');
    expect(redacted.metadata.url).toContain('db.internal.example:5432');
    expect(redacted.metadata.url).toContain('falaj:***@');
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('s3cr3t-pw');
    expect(text).not.toContain('bWFzdGVyLWtleS1t');
    // the original is untouched
    expect(config.metadata.url).toBe(secretUrl);
  });

  it('leaves a password-less URL readable', () => {
    const { config } = load({ flags: { 'metadata.url': 'postgres://db.internal.example/falaj' } });
    expect(redactConfig(config).metadata.url).toBe('postgres://db.internal.example/falaj');
  });

  it('hides a password given as a query parameter of the metadata url', () => {
    // libpq and node-postgres both accept ?password=…; it must not reach `config show`
    const { config } = load({ flags: { 'metadata.url': 'postgres://falaj@db.internal.example/falaj?password=qp-s3cr3t' } });
    const redacted = redactConfig(config).metadata.url!;
    expect(redacted).toContain('db.internal.example');
    expect(redacted).not.toContain('qp-s3cr3t');
  });
});

describe('envNameFor', () => {
  it.each([
    ['server.tlsClientCa', 'FALAJ_SERVER_TLS_CLIENT_CA'],
    ['server.port', 'FALAJ_SERVER_PORT'],
    ['metadata.url', 'FALAJ_METADATA_URL'],
    ['dataDir', 'FALAJ_DATA_DIR'],
    ['server.bodyLimitBytes', 'FALAJ_SERVER_BODY_LIMIT_BYTES'],
    ['security.masterKey', 'FALAJ_SECURITY_MASTER_KEY'],
  ])('%s → %s', (path, env) => {
    expect(envNameFor(path)).toBe(env);
  });

  it('is the name loadConfig actually reads', () => {
    expect(load({ env: { [envNameFor('server.bodyLimitBytes')]: '4096' } }).config.server.bodyLimitBytes).toBe(4096);
  });
});
