import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino must never print. Fastify's request serializer logs no headers, but a
 * handler that logs a request, a config or an error with a token inside must not leak it.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'masterKey',
  '*.masterKey',
  'clientSecret',
  '*.clientSecret',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'falaj' } };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
