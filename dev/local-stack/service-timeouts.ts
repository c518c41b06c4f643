import type { CallbackDefinition } from '../../src/callbacks/load.js';

/**
 * The CALLBACK_TIMEOUT_MS a service started by `npm start` gets: the shortest `timeout` of the
 * callbacks that reach it (same origin as its URL), so its Stripe calls and write-back fit inside
 * every one of them (services/lib/service-env.ts derives its budget from it). Null when no callback
 * reaches it: it keeps its default.
 */
export function serviceTimeoutMs(
  serviceUrl: string,
  callbacks: readonly Pick<CallbackDefinition, 'url' | 'timeoutMs'>[],
): number | null {
  const origin = new URL(serviceUrl).origin;
  const timeouts = callbacks
    .filter((callback) => new URL(callback.url).origin === origin)
    .map((callback) => callback.timeoutMs);
  return timeouts.length > 0 ? Math.min(...timeouts) : null;
}
