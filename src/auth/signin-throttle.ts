import type { Pool } from 'pg';
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors.js';

export interface SigninThrottleOptions {
  pool: Pool;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  windowMinutes: number;
}

export interface SigninThrottle {
  /** Throws RATE_LIMITED while the account or the address has failed too often. */
  check(email: string, address: string): Promise<void>;
  failed(email: string, address: string): Promise<void>;
  succeeded(email: string): Promise<void>;
}

/**
 * Failed sign-ins counted per account and per client address in PostgreSQL (rate-limiter-flexible's
 * table, created by a migration), so every API process shares the counts. Unknown emails are counted
 * like known ones: the throttle tells nothing about which accounts exist.
 */
export function createSigninThrottle(options: SigninThrottleOptions): SigninThrottle {
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterPostgres({
      storeClient: options.pool,
      storeType: 'pool',
      tableName: 'signin_throttle',
      tableCreated: true,
      keyPrefix,
      points,
      duration: options.windowMinutes * 60,
    });
  const byAccount = limiter('account', options.maxFailuresPerAccount);
  const byAddress = limiter('address', options.maxFailuresPerAddress);

  return {
    async check(email, address) {
      const [account, client] = await Promise.all([byAccount.get(email), byAddress.get(address)]);
      const exhausted = [
        account && account.consumedPoints >= options.maxFailuresPerAccount ? account : null,
        client && client.consumedPoints >= options.maxFailuresPerAddress ? client : null,
      ].filter((res): res is RateLimiterRes => res !== null);
      if (exhausted.length === 0) return;
      const waitMs = Math.max(...exhausted.map((res) => res.msBeforeNext));
      throw rateLimited('Too many failed sign-ins; try again later', Math.max(1, Math.ceil(waitMs / 1000)));
    },
    async failed(email, address) {
      // consume() rejects with the limiter's state once over the limit; the count is kept either way.
      await Promise.allSettled([byAccount.consume(email), byAddress.consume(address)]);
    },
    async succeeded(email) {
      await byAccount.delete(email);
    },
  };
}
