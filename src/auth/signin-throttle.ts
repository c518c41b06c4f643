import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors.js';

export interface SigninThrottleOptions {
  pool: Pool;
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  maxSignupsPerAddress: number;
  windowMinutes: number;
}

export interface SigninThrottle {
  /**
   * Counts a sign-in attempt against the account and the address before its password is checked, so
   * concurrent guesses cannot all pass a check made before any of them failed. Throws RATE_LIMITED
   * once either has failed too often.
   */
  attempt(email: string, address: string): Promise<void>;
  /** The password was right: the attempt was no failure, and the account's failures are forgiven. */
  succeeded(email: string, address: string): Promise<void>;
  /**
   * Counts a sign-up from the address before its password is hashed, whatever its outcome: a CONFLICT
   * tells that an email is registered, so the address gets as many answers as the limit. Throws
   * RATE_LIMITED past it.
   */
  signingUp(address: string): Promise<void>;
}

/**
 * Failed sign-ins counted per account and per client address, and sign-ups per client address, in
 * PostgreSQL (rate-limiter-flexible's table, created by a migration), so every API process shares the
 * counts. Unknown emails are counted like known ones: the throttle tells nothing about which accounts exist.
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
  const signupsByAddress = limiter('signup', options.maxSignupsPerAddress);

  return {
    async attempt(email, address) {
      const counters = [
        { limiter: byAccount, key: email },
        { limiter: byAddress, key: address },
      ];
      // consume() is one atomic upsert: of N concurrent attempts, only those within the limit pass.
      const taken = await Promise.allSettled(counters.map(({ limiter, key }) => limiter.consume(key)));
      const refusals = taken.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      if (refusals.length === 0) return;
      // A refused attempt checks no password, so it is no failure: the points it took are given back
      // (not those a store failure may never have taken).
      const counted = counters.filter((_, i) => tookPoint(taken[i]!));
      await Promise.allSettled(counted.map(({ limiter, key }) => limiter.reward(key)));
      throw refusalOf(refusals, 'Too many failed sign-ins; try again later');
    },
    async succeeded(email, address) {
      await Promise.all([byAccount.delete(email), byAddress.reward(address)]);
    },
    async signingUp(address) {
      await signupsByAddress.consume(address).catch((reason: unknown) => {
        throw refusalOf([reason], 'Too many sign-ups from this address; try again later');
      });
    },
  };
}

function tookPoint(result: PromiseSettledResult<RateLimiterRes>): boolean {
  return result.status === 'fulfilled' || result.reason instanceof RateLimiterRes;
}

/** A limiter's refusal as RATE_LIMITED, waiting for the key that frees last; a store failure as itself. */
function refusalOf(refusals: unknown[], message: string): unknown {
  const failure = refusals.find((reason) => !(reason instanceof RateLimiterRes));
  if (failure !== undefined) return failure;
  const waitMs = Math.max(...(refusals as RateLimiterRes[]).map((res) => res.msBeforeNext));
  return rateLimited(message, Math.max(1, Math.ceil(waitMs / 1000)));
}
