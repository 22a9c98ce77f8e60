export * from './config.schema.js';
export { loadConfig, isPostgresUrl, type LoadConfigOptions, type LoadedConfig } from './load-config.js';
export { redactConfig, redactUrl } from './redact.js';
export { envNameFor, configKeys } from './config-sources.js';
