import { GraphQLError } from 'graphql';

/** Stable codes a client can switch on; the message is for humans and may change. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'DATABASE_UNAVAILABLE';

export class PaygraphError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message, { extensions: { code, ...details } });
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new PaygraphError('BAD_USER_INPUT', message, details);
export const unauthenticated = (message = 'Sign in or send a valid access token') =>
  new PaygraphError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Not allowed') => new PaygraphError('FORBIDDEN', message);
export const notFound = (what: string) => new PaygraphError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string) => new PaygraphError('CONFLICT', message);
/** Answered with HTTP 429 and Retry-After (Yoga reads `extensions.http` and leaves it out of the body). */
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new PaygraphError('RATE_LIMITED', message, {
    retryAfterSeconds,
    http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
  });
/** Answered with HTTP 503 and Retry-After while PostgreSQL cannot be reached (src/request/database-unavailable.ts). */
export const databaseUnavailable = (retryAfterSeconds: number) =>
  new PaygraphError('DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly', {
    retryAfterSeconds,
    http: { status: 503, headers: { 'retry-after': String(retryAfterSeconds) } },
  });
