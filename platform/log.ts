/** Structured JSON logs (pino). Child loggers carry `service` and correlation ids. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, service: string): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'secret', '*.secret', 'authorization', '*.authorization'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
