import type { RequestHandler } from 'micro';

/**
 * A handler built on its first request, so a service module can default-export its configured
 * handler (micro's convention) and still be imported by tests that configure their own.
 */
export function lazyHandler(build: () => RequestHandler): RequestHandler {
  let handler: RequestHandler | undefined;
  return (req, res) => (handler ??= build())(req, res);
}
