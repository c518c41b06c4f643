import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type RequestHandler } from 'micro';

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves on an ephemeral loopback port: a micro handler (as `serve()` runs it) or a plain listener. */
export async function listen(handler: RequestHandler | { listener: RequestListener }): Promise<Listening> {
  const server = createServer('listener' in handler ? handler.listener : serve(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on: connecting to it is refused. */
export async function closedPortUrl(path = '/'): Promise<string> {
  const { url, close } = await listen({ listener: () => undefined });
  await close();
  return new URL(path, url).toString();
}
