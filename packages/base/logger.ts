import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** LOG_LEVEL, read alone: the logger exists before the rest of any configuration is read. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): (typeof LOG_LEVELS)[number] {
  const level = env.LOG_LEVEL as (typeof LOG_LEVELS)[number] | undefined;
  return level && LOG_LEVELS.includes(level) ? level : 'info';
}

/**
 * The one logger: JSON lines, secrets redacted wherever they appear, and errors reduced to what a
 * person reads. A pg error or a request can carry a whole client, socket or connection string; none
 * of that is ever written.
 */
export function createLogger(level: string = logLevelFromEnv()): Logger {
  return pino({
    level,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
    serializers: {
      err: serializeError,
      error: serializeError,
      req: serializeRequest,
      request: serializeRequest,
      client: () => '[client]',
    },
  });
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { code, detail, routine } = error as Error & { code?: unknown; detail?: unknown; routine?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === 'string' && { code }),
    ...(typeof detail === 'string' && { detail }),
    ...(typeof routine === 'string' && { routine }),
    stack: error.stack,
    ...(error.cause instanceof Error && { cause: serializeError(error.cause) }),
  };
}

function serializeRequest(request: unknown): unknown {
  const { method, url } = (request ?? {}) as { method?: unknown; url?: unknown };
  return { method, url };
}

export const logger = createLogger();
