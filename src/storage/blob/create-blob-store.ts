import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors/index.js';
import type { BlobStore } from './blob-store.js';
import { createDirectoryBlobStore } from './directory-blob-store.js';
import type { S3BlobStoreOptions } from './s3-blob-store.js';

/** Options of {@link createBlobStore}. */
export interface CreateBlobStoreOptions {
  /** Falaj's data directory: the directory store defaults to `<dataDir>/blobs`. */
  dataDir: string;
  /** The region label of the store (`blob.region`), checked by the residency policy. */
  region: string;
}

const S3_PARAMS = new Set(['endpoint', 'region', 'forcePathStyle', 'accessKeyId', 'secretAccessKey']);

/** True for a URL that names S3-compatible storage rather than a directory. */
export function isS3Url(url: string): boolean {
  return /^s3:\/\//i.test(url);
}

/**
 * Opens the blob store named by `url` (`blob.url`):
 *
 * - `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true`
 *   → S3 or an S3-compatible server. Credentials come from the AWS SDK's chain
 *   (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, profiles, instance roles), or from
 *   `accessKeyId` / `secretAccessKey` query parameters (tests, local servers).
 * - a folder path or `file://` URL → a directory; nothing (or empty) → `<dataDir>/blobs`.
 *
 * @throws ConfigError `FALAJ_CONFIG_INVALID` for a URL it cannot use (naming `blob.url`,
 *   never echoing the secret)
 * @example
 * ```ts
 * const blobs = await createBlobStore(config.blob.url, { dataDir: config.dataDir, region: config.blob.region });
 * ```
 */
export async function createBlobStore(url: string | undefined, options: CreateBlobStoreOptions): Promise<BlobStore> {
  if (url !== undefined && isS3Url(url)) {
    const s3Options = parseS3Url(url, options.region);
    // loaded only when configured: the AWS SDK is large, and a directory store never needs it
    const { createS3BlobStore } = await import('./s3-blob-store.js');
    return createS3BlobStore(s3Options);
  }
  if (url !== undefined && /^file:\/\//i.test(url)) return createDirectoryBlobStore({ root: fileURLToPath(url), region: options.region });
  if (url !== undefined && /^[a-z][a-z0-9+.-]+:\/\//i.test(url)) {
    throw invalid(`${redactUrl(url)} has a scheme Falaj cannot store blobs at; use s3://bucket/prefix or a folder path`);
  }
  // An empty URL counts as unset, as for the other stores.
  return createDirectoryBlobStore({ root: url || join(options.dataDir, 'blobs'), region: options.region });
}

/** Reads an `s3://` URL into the options of {@link createS3BlobStore}. */
export function parseS3Url(url: string, regionLabel: string): S3BlobStoreOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('is not a valid URL; expected s3://bucket/prefix?endpoint=…');
  }
  if (parsed.username || parsed.password) {
    throw invalid('must not hold credentials before the bucket; use the AWS_* environment variables or accessKeyId/secretAccessKey parameters');
  }
  if (!parsed.hostname || parsed.port) throw invalid('must name a bucket: s3://bucket/prefix');
  const params = parsed.searchParams;
  for (const name of params.keys()) {
    if (!S3_PARAMS.has(name)) throw invalid(`has an unknown parameter "${name}"; known: ${[...S3_PARAMS].join(', ')}`);
  }
  const forcePathStyle = params.get('forcePathStyle');
  if (forcePathStyle !== null && !['true', 'false'].includes(forcePathStyle)) throw invalid('forcePathStyle must be true or false');
  const endpoint = params.get('endpoint');
  if (endpoint !== null && !/^https?:\/\/[^/]/i.test(endpoint)) throw invalid('endpoint must be an http:// or https:// URL');

  const options: S3BlobStoreOptions = { bucket: parsed.hostname, regionLabel };
  const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  if (prefix) options.prefix = prefix;
  if (endpoint !== null) options.endpoint = endpoint;
  const region = params.get('region');
  if (region) options.region = region;
  if (forcePathStyle !== null) options.forcePathStyle = forcePathStyle === 'true';
  const accessKeyId = params.get('accessKeyId');
  const secretAccessKey = params.get('secretAccessKey');
  if ((accessKeyId === null) !== (secretAccessKey === null)) throw invalid('needs both accessKeyId and secretAccessKey, or neither');
  if (accessKeyId !== null && secretAccessKey !== null) {
    options.accessKeyId = accessKeyId;
    options.secretAccessKey = secretAccessKey;
  }
  return options;
}

function invalid(problem: string): ConfigError {
  return new ConfigError('FALAJ_CONFIG_INVALID', `blob.url ${problem}.`, { details: { key: 'blob.url' } });
}
