import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FalajApiError, FalajClient, type TransportOptions } from '../../src/client/index.js';
import { loadConfig } from '../../src/core/config/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

/**
 * HTTPS and mutual TLS over a real port, with certificates made by openssl: a private
 * CA, a server certificate for 127.0.0.1 and a client certificate, both signed by it.
 */
interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** self-signed, not from the CA: a stranger's client certificate */
  strangerCert: string;
  strangerKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'falaj-tls-'));
  const at = (f: string) => join(dir, f);
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Falaj Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const sign = async (name: string, subject: string, extensions: string) => {
    openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await writeFile(at(`${name}.ext`), extensions);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  await sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await sign('client', '/CN=falaj-ci', 'extendedKeyUsage=clientAuth\n');
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2', '-subj', '/CN=stranger',
    '-addext', 'extendedKeyUsage=clientAuth']);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
  };
}

async function unreachable(promise: Promise<unknown>): Promise<FalajApiError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the TLS connection to be refused');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FalajApiError);
  expect((err as FalajApiError).status).toBe(0);
  expect((err as FalajApiError).code).toBe('FALAJ_SERVER_UNREACHABLE');
  return err as FalajApiError;
}

describe('TLS', () => {
  let pki: Pki;
  const clients: FalajClient[] = [];
  const servers: RunningServer[] = [];
  const dataDirs: string[] = [];

  async function serve(flags: Record<string, unknown>): Promise<RunningServer> {
    const dataDir = await mkdtemp(join(tmpdir(), 'falaj-tls-data-'));
    dataDirs.push(dataDir);
    const { config } = loadConfig({ env: {}, cwd: dataDir, flags: { dataDir, 'server.port': 0, 'log.level': 'silent', ...flags } });
    const server = await startServer(config);
    servers.push(server);
    return server;
  }
  const client = (options: TransportOptions) => {
    const c = new FalajClient({ timeoutMs: 5_000, ...options });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = await makePki();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
    for (const dir of [...dataDirs, pki?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('server certificate', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await serve({ 'server.tlsCert': pki.serverCert, 'server.tlsKey': pki.serverKey });
    });

    it('serves HTTPS that a client trusting the CA can use', async () => {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const trusted = client({ baseUrl: server.url, token: server.services.bootstrapToken, caFile: pki.caCert });
      expect(await trusted.health()).toEqual({ status: 'ok' });
      expect((await trusted.whoami()).bindings).toContainEqual({ project: '*', role: 'admin' });
    });

    it('is refused by a client that does not trust the CA', async () => {
      const untrusting = client({ baseUrl: server.url, token: server.services.bootstrapToken });
      const err = await unreachable(untrusting.whoami());
      expect(err.message).toMatch(/certificate/i);
    });

    it('does not answer plain HTTP with the API', async () => {
      const plain = client({ baseUrl: server.url.replace('https:', 'http:'), token: server.services.bootstrapToken });
      await unreachable(plain.whoami());
    });
  });

  describe('mutual TLS', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await serve({ 'server.tlsCert': pki.serverCert, 'server.tlsKey': pki.serverKey, 'server.tlsClientCa': pki.caCert });
    });

    it('rejects a client without a certificate at the TLS layer, even with a valid token', async () => {
      const noCert = client({ baseUrl: server.url, token: server.services.bootstrapToken, caFile: pki.caCert });
      const err = await unreachable(noCert.health());
      expect(err.message).toMatch(/alert certificate required|socket hang up|ECONNRESET/i);
      expect(err.requestId).toBeUndefined();
    });

    it('rejects a client certificate the CA did not sign', async () => {
      const stranger = client({
        baseUrl: server.url,
        token: server.services.bootstrapToken,
        caFile: pki.caCert,
        certFile: pki.strangerCert,
        keyFile: pki.strangerKey,
      });
      await unreachable(stranger.health());
    });

    it('lets a client with a certificate from the CA through', async () => {
      const withCert = client({
        baseUrl: server.url,
        token: server.services.bootstrapToken,
        caFile: pki.caCert,
        certFile: pki.clientCert,
        keyFile: pki.clientKey,
      });
      expect(await withCert.health()).toEqual({ status: 'ok' });
      expect((await withCert.whoami()).via).toBe('token');
      // the certificate opens the connection; the API still wants a token
      const certOnly = client({ baseUrl: server.url, caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey });
      await expect(certOnly.whoami()).rejects.toMatchObject({ status: 401, code: 'FALAJ_UNAUTHENTICATED' });
    });
  });
});
