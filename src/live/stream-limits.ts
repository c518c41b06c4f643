import { errorAsyncIterator, finalAsyncIterator, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { PaygraphError } from '../errors.js';
import type { Context } from '../schema/context.js';
import { credentialOf } from './while-signed-in.js';

export interface StreamLimits {
  /** Open subscriptions per session or access token. */
  perSession: number;
  /** Open subscriptions per client address, whoever opens them (one user can sign in many times). */
  perAddress: number;
}

/**
 * Caps the subscriptions this API process holds open per session or access token and per client
 * address: each open stream holds a connection, its pubsub subscribers and their buffers (200 streams
 * of one user cost 43 MB), and nothing else ends them. A stream refused is answered HTTP 429,
 * RATE_LIMITED, as one `next` event; a stream that ends for any reason (the client leaves, the
 * server ends it, it was refused when it started) frees its place at once.
 */
export function useStreamLimits(limits: StreamLimits): Plugin<Context> {
  const bySession = new OpenCounts(limits.perSession);
  const byAddress = new OpenCounts(limits.perAddress);
  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      // Counted inside the subscribe function, so a plugin that stops the subscription before it runs takes no place.
      setSubscribeFn(async (args) => {
        const context = args.contextValue as Context;
        const credential = credentialOf(context.identity);
        const session = credential && `${credential.kind}:${credential.id}`;
        if (session && bySession.full(session)) return refused(`this ${credential.kind}`, limits.perSession);
        if (byAddress.full(context.clientAddress)) return refused('this address', limits.perAddress);
        if (session) bySession.open(session);
        byAddress.open(context.clientAddress);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          if (session) bySession.close(session);
          byAddress.close(context.clientAddress);
        };
        try {
          const result = await subscribeFn(args);
          // A subscription refused when it starts (FORBIDDEN, bad input) answers once and holds nothing.
          if (!isAsyncIterable(result)) {
            release();
            return result;
          }
          return finalAsyncIterator(
            errorAsyncIterator(result, (error) => {
              release();
              throw error;
            }),
            release,
          );
        } catch (error) {
          release();
          throw error;
        }
      });
    },
  };
}

/** Open streams per key, with the keys of no open stream forgotten, so the map stays as small as what is open. */
class OpenCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit: number) {}
  full(key: string): boolean {
    return (this.counts.get(key) ?? 0) >= this.limit;
  }
  open(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  close(key: string): void {
    const left = (this.counts.get(key) ?? 1) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}

const refused = (holder: string, limit: number) => ({
  errors: [
    new PaygraphError(
      'RATE_LIMITED',
      `Too many open subscriptions for ${holder} (at most ${limit}); close one to open another`,
      {
        maxOpenStreams: limit,
        // No Retry-After: the place frees when one of the caller's own streams ends, not after a time.
        http: { status: 429 },
      },
    ),
  ],
});
