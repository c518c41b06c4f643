import type { GraphQLError } from 'graphql';
import { databaseUnavailable } from '../errors.js';
import type { Logger } from '../../packages/base/logger.js';

/** How long a client is asked to wait before it tries again: about a PostgreSQL restart. */
const RETRY_AFTER_SECONDS = 5;
/** While the database stays away, one line per this long says how many requests were answered 503. */
const REPORT_EVERY_MS = 30_000;

// Connection classes PostgreSQL and node-postgres report when the server is away, restarting or unreachable.
const SQLSTATES = /^(08|57P0[1-3]|53300)/;
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
const MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Can't reach database|server closed the connection/i;
// Prisma's own codes for the same: unreachable, connection closed, pool timeout.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

/** Whether an error, or one it wraps, says the database cannot be reached now (rather than that a query is wrong). */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const { code, message, cause, originalError, kind } = error as Record<string, unknown>;
  if (typeof code === 'string' && (SQLSTATES.test(code) || NODE_CODES.has(code) || PRISMA_CODES.has(code))) return true;
  if (kind === 'DatabaseNotReachable' || kind === 'ConnectionClosed' || kind === 'SocketTimeout') return true;
  if (typeof message === 'string' && MESSAGES.test(message)) return true;
  return isDatabaseUnavailable(cause, depth + 1) || isDatabaseUnavailable(originalError, depth + 1);
}

/**
 * The answer while PostgreSQL is away: 503 with Retry-After and a stable code, which clients and load
 * balancers know to retry, instead of a 200 carrying INTERNAL_SERVER_ERROR; logged once per outage
 * (and a count every 30 s), not once per request.
 */
export function databaseUnavailableAnswers(logger: Logger) {
  let since: number | null = null;
  let reportedAt = 0;
  let answered = 0;
  return (): GraphQLError => {
    const now = Date.now();
    answered += 1;
    if (since === null || now - reportedAt > 2 * REPORT_EVERY_MS) {
      since = now;
      reportedAt = now;
      answered = 1;
      logger.warn('the database is unavailable: answering 503 DATABASE_UNAVAILABLE until it is back');
    } else if (now - reportedAt >= REPORT_EVERY_MS) {
      logger.warn({ answered, sinceMs: now - since }, 'the database is still unavailable');
      reportedAt = now;
    }
    return databaseUnavailable(RETRY_AFTER_SECONDS);
  };
}
