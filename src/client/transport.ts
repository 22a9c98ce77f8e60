import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import http from 'node:http';
import https from 'node:https';
import { FalajApiError } from './api-error.js';

export interface TransportOptions {
  /** e.g. `https://falaj.internal:8443` */
  baseUrl: string;
  token?: string | undefined;
  /** PEM file of a CA to trust (a private CA or self-signed server certificate) */
  caFile?: string | undefined;
  /** client certificate and key files, for mutual TLS */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * HTTP(S) with keep-alive, on node:http rather than fetch so that a private CA and a
 * client certificate (mutual TLS) can be given per client.
 */
export class Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(private readonly options: TransportOptions) {
    this.base = new URL(options.baseUrl);
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
            ...(options.certFile ? { cert: readFileSync(options.certFile) } : {}),
            ...(options.keyFile ? { key: readFileSync(options.keyFile) } : {}),
          })
        : new http.Agent({ keepAlive: true });
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const module = url.protocol === 'https:' ? https : http;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = module.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 30_000,
          headers: {
            accept: 'application/json, application/problem+json',
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload).toString() } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${url.origin} timed out`)));
      req.on('error', (err) => reject(new FalajApiError(0, 'FALAJ_SERVER_UNREACHABLE', `cannot reach ${url.origin}: ${err.message}`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Sends a request and parses JSON, turning problem details into {@link FalajApiError}. */
  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.request(method, path, body, headers);
    if (res.status >= 400) throw problemError(res.status, res.body);
    return (res.body ? JSON.parse(res.body) : undefined) as T;
  }

  /**
   * Sends a request whose answer is NDJSON (one event per line) and hands each parsed
   * line to `onEvent` as it arrives; an error status is thrown as for `json()`.
   */
  async ndjson(method: string, path: string, body: unknown, onEvent: (event: Record<string, unknown>) => void): Promise<void> {
    const url = new URL(path, this.base);
    const payload = JSON.stringify(body);
    const module = url.protocol === 'https:' ? https : http;
    await new Promise<void>((resolve, reject) => {
      const req = module.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/x-ndjson, application/problem+json',
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload).toString(),
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          },
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(problemError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
            return;
          }
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let newline: number;
            while ((newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (line) onEvent(JSON.parse(line) as Record<string, unknown>);
            }
          });
          res.on('end', () => resolve());
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(new FalajApiError(0, 'FALAJ_SERVER_UNREACHABLE', `cannot reach ${url.origin}: ${err.message}`)));
      req.end(payload);
    });
  }

  /** Sends a file as the raw body (streamed) and parses the JSON answer. */
  async upload<T>(method: string, path: string, filePath: string, contentType = 'application/octet-stream'): Promise<T> {
    const res = await this.exchange(method, path, { 'content-type': contentType, 'content-length': String(statSync(filePath).size) }, (req) => {
      createReadStream(filePath).on('error', (err) => req.destroy(err)).pipe(req);
    });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 400) throw problemError(res.statusCode ?? 0, body);
    return JSON.parse(body) as T;
  }

  /** Streams a GET answer into a file; returns the answer's headers. */
  async download(path: string, filePath: string): Promise<http.IncomingHttpHeaders> {
    const res = await this.exchange('GET', path, { accept: '*/*' }, (req) => req.end());
    if ((res.statusCode ?? 0) >= 400) throw problemError(res.statusCode ?? 0, await readAll(res));
    await pipeline(res, createWriteStream(filePath));
    return res.headers;
  }

  /** Streams a GET answer's body to `onChunk` as it arrives (followed logs). */
  async stream(path: string, onChunk: (chunk: Buffer) => void): Promise<void> {
    const res = await this.exchange('GET', path, { accept: 'text/plain, application/problem+json' }, (req) => req.end());
    if ((res.statusCode ?? 0) >= 400) throw problemError(res.statusCode ?? 0, await readAll(res));
    for await (const chunk of res as AsyncIterable<Buffer>) onChunk(chunk);
  }

  private exchange(method: string, path: string, headers: Record<string, string>, send: (req: http.ClientRequest) => void): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base);
    const module = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = module.request(url, { method, agent: this.agent, headers: { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...headers } }, resolve);
      req.on('error', (err) => reject(new FalajApiError(0, 'FALAJ_SERVER_UNREACHABLE', `cannot reach ${url.origin}: ${err.message}`)));
      send(req);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A problem-details answer (or any error body) as a {@link FalajApiError}. */
export function problemError(status: number, body: string): FalajApiError {
  let p: { code?: string; detail?: string; title?: string; requestId?: string } = {};
  try {
    p = JSON.parse(body) as typeof p;
  } catch {
    // not JSON: keep the status alone
  }
  return new FalajApiError(status, p.code ?? `HTTP_${status}`, p.detail ?? p.title ?? `HTTP ${status}`, p.requestId, p as Record<string, unknown>);
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
