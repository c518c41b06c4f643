import { pino, type Logger } from 'pino';

export type { Logger };

/** The one logger: JSON lines, with secrets redacted wherever they appear in a log object. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export const logger = createLogger();
