import type { FalajConfig } from '../core/config/index.js';
import { buildApp, type BuildAppOptions, type FalajApp } from './app.js';

export interface RunningServer extends FalajApp {
  /** e.g. `http://127.0.0.1:8080` */
  url: string;
}

/** Builds the app and listens on the configured host and port (`port: 0` picks a free one). */
export async function startServer(config: FalajConfig, options: BuildAppOptions = {}): Promise<RunningServer> {
  const built = await buildApp(config, options);
  try {
    await built.app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await built.close();
    throw err;
  }
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const scheme = config.server.tlsCert ? 'https' : 'http';
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `${scheme}://${host}:${port}`;
  // jobs reach the API where it listens (0.0.0.0 is not an address to connect to)
  if (!config.training.trackingUri) built.services.training.endpoint.url = `${scheme}://${/^(0\.0\.0\.0|::)$/.test(config.server.host) ? '127.0.0.1' : host}:${port}`;
  if (config.server.role === 'all' || config.server.role === 'worker') built.services.training.runner?.start();
  await built.services.serving.start();
  built.services.streams?.start();
  return { ...built, url };
}

/**
 * Closes the server on SIGINT/SIGTERM: stop accepting, finish in-flight requests (up
 * to the grace period), close storage, exit 0. A second signal exits at once.
 */
export function closeOnSignals(server: FalajApp, graceMs: number, onClosed: (code: number) => void): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return onClosed(130);
    closing = true;
    server.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => onClosed(1), graceMs);
    timer.unref();
    server.close().then(
      () => onClosed(0),
      () => onClosed(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
