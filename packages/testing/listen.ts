import { createServer, Server as HttpServer, type RequestListener } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { serve, type RequestHandler } from 'micro';
import { freePort } from '../base/free-port.js';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves on loopback, on a port the OS picks (or `port`, to come back on one a test knew): a micro
 * handler (as `serve()` runs it), a plain listener, or a server of the caller's own (plain TCP too).
 */
export async function listen(
  handler: RequestHandler | { listener: RequestListener } | { server: Server },
  port = 0,
): Promise<Listening> {
  const server =
    'server' in handler ? handler.server : createServer('listener' in handler ? handler.listener : serve(handler));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    async close() {
      if (server instanceof HttpServer) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL nothing listens on: connecting to it is refused. */
export async function closedPortUrl(path = '/'): Promise<string> {
  return new URL(path, `http://127.0.0.1:${await freePort()}`).toString();
}
