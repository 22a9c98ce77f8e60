import type { Command } from 'commander';
import { loadConfig, redactUrl } from '../../core/config/index.js';
import { closeOnSignals, startServer } from '../../server/index.js';
import { writeCredentials } from '../credentials.js';

/** `falaj up`: start the platform (API server) on embedded storage, or what config names. */
export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the Falaj server')
    .option('--port <port>', 'port to listen on (0 = any free port)', (v) => parsePort(v))
    .option('--host <host>', 'address to listen on')
    .option('--data-dir <dir>', 'where embedded storage and keys live')
    .option('--config <file>', 'YAML or JSON config file')
    .option('--metadata-url <url>', 'postgres://… to use PostgreSQL instead of SQLite')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA: require client certificates (mutual TLS)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--role <role>', 'all (default) | api | serving | worker | ingest: one role per replica when the platform is spread over machines')
    .action(async (opts: Record<string, string | number | undefined>) => {
      const { config } = loadConfig({
        file: opts.config as string | undefined,
        flags: {
          'server.port': opts.port,
          'server.host': opts.host,
          dataDir: opts.dataDir,
          'metadata.url': opts.metadataUrl,
          'server.tlsCert': opts.tlsCert,
          'server.tlsKey': opts.tlsKey,
          'server.tlsClientCa': opts.tlsClientCa,
          'log.level': opts.logLevel,
          'server.role': opts.role,
        },
      });
      const startedAt = performance.now();
      const server = await startServer(config);
      const { services } = server;
      const out = (line = '') => process.stdout.write(line + '\n');
      out(`Falaj listening on ${server.url} (ready in ${Math.round(performance.now() - startedAt)} ms)`);
      out(`  metadata:  ${services.database.location} (region ${config.metadata.region})`);
      out(`  online:    ${services.onlineStore.engine === 'redis' ? 'redis ' + redactUrl(config.online.url!) : 'sqlite ' + (config.online.url ?? config.dataDir + '/online.db')} (region ${config.online.region})`);
      out(`  artifacts: ${services.blobs.engine === 's3' ? 's3 ' + redactUrl(config.blob.url!) : 'directory ' + (config.blob.url ?? config.dataDir + '/blobs')} (region ${config.blob.region}), encrypted`);
      out(`  data dir:  ${config.dataDir}`);
      if (config.server.role !== 'all') out(`  role:      ${config.server.role} (${ROLE_NOTES[config.server.role]})`);
      out(`  identity:  API tokens${config.security.oidc ? `, OIDC (${config.security.oidc.issuer})` : ''}`);
      if (config.server.tlsClientCa) out('  TLS:       mutual (client certificates required)');
      if (services.migrationsApplied.length) out(`  migrated:  ${services.migrationsApplied.join(', ')}`);
      if (services.bootstrapToken) {
        const path = await writeCredentials({ server: server.url, token: services.bootstrapToken, project: 'default' });
        out();
        out('First start: an admin token was created. It is shown once; only its hash is stored.');
        out(`  ${services.bootstrapToken}`);
        out(`Saved to ${path} (mode 0600): the falaj CLI is logged in.`);
      }
      out('Press Ctrl-C to stop.');
      closeOnSignals(server, config.server.shutdownGraceMs, (code) => {
        out(code === 0 ? 'Falaj stopped cleanly.' : 'Falaj stopped.');
        process.exit(code);
      });
    });
}

const ROLE_NOTES: Record<string, string> = {
  api: 'the API, without inference or background loops',
  serving: 'predictions, the Open Inference Protocol and deployments; follows deployment changes',
  worker: 'the training scheduler and the canary rollout controller',
  ingest: 'stream consumers (replicas share each source through its consumer group)',
};

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${value} is not a port number (0-65535)`);
  return port;
}
