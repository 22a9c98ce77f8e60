import { ConfigSchema, type FalajConfig } from './config.schema.js';
import { configKeys, getPath, setPath } from './config-sources.js';

const REDACTED = '***';

/** Hides the password in a connection URL: `postgres://u:***@host/db`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    let changed = false;
    if (parsed.password) {
      parsed.password = REDACTED;
      changed = true;
    }
    // libpq and most drivers also take secrets as query parameters
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) {
        parsed.searchParams.set(key, REDACTED);
        changed = true;
      }
    }
    return changed ? parsed.toString() : url;
  } catch {
    return url;
  }
}

/**
 * A copy of the config safe to print or log: secret keys become `***`, except a
 * connection URL, which keeps everything but its password so operators can still see
 * which server it points at.
 */
export function redactConfig(config: FalajConfig): FalajConfig {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const key of configKeys(ConfigSchema)) {
    if (!key.secret) continue;
    const value = getPath(copy, key.path);
    if (value && typeof value === 'object') {
      // a map of connection URLs (streams.brokers)
      setPath(copy, key.path, Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? redactUrl(v) : REDACTED) : v])));
      continue;
    }
    if (typeof value !== 'string') continue;
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
    // a `*.url` that is not a URL is a file path (the embedded SQLite database): no secret in it
    if (isUrl) setPath(copy, key.path, redactUrl(value));
    else if (!key.path.endsWith('.url')) setPath(copy, key.path, REDACTED);
  }
  return copy as unknown as FalajConfig;
}
