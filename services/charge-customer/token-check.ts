import { PaygraphRefusedError, TokenRefusedError, type Paygraph } from '../lib/paygraph-client.js';

const CHECK_TOKEN = '{ viewerAccessToken { name } }';
// How long an accepted token is trusted without asking again: a request to the API per charge was a
// fifth of the API's work for a purchase, and a token revoked inside this second still gets its
// charges marked paid (the write-back is retried until a new token comes, and Stripe's event marks it).
export const TOKEN_TRUSTED_MS = 1_000;

/**
 * Before money moves: is this service's own access token still accepted? A payment whose write-back
 * would be refused leaves money taken and the purchase unpaid until a person replaces the token, so
 * a token refused anywhere (here or by a write-back) is asked about again before the next charge.
 */
export function tokenCheck(paygraph: Paygraph) {
  let acceptedAt = -Infinity;
  let asking: Promise<void> | null = null;
  const ask = async () => {
    try {
      await paygraph(CHECK_TOKEN, {});
      acceptedAt = performance.now();
    } catch (error) {
      throw error instanceof PaygraphRefusedError ? new TokenRefusedError(error.message) : error;
    } finally {
      asking = null;
    }
  };
  return {
    /** Resolves when the token is accepted; concurrent charges share one question. */
    async ensure(): Promise<void> {
      if (performance.now() - acceptedAt < TOKEN_TRUSTED_MS) return;
      await (asking ??= ask());
    },
    /** A write-back was refused: the next charge asks first. */
    distrust(error: unknown): void {
      if (error instanceof PaygraphRefusedError) acceptedAt = -Infinity;
    },
  };
}
