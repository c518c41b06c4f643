import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { TEST_SIGNING_SECRET } from './paygraph.js';

export interface ReceivedCallback {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { data: Record<string, any>; event: { id: string; callback: string; trigger: string; nodeId: string; createdAt: string; attempt: number } };
  receivedAt: number;
}

/** How the receiver answers the n-th request (0-based); default 200. */
export type Responder = (request: ReceivedCallback, index: number, res: ServerResponse) => void | 'hang';

/** A real HTTP server on loopback that records every callback it gets, verified or not. */
export async function startReceiver(respond: Responder = () => undefined, port = 0) {
  const received: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let rawBody = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (rawBody += chunk));
    req.on('end', () => {
      const request: ReceivedCallback = { headers: req.headers, rawBody, body: JSON.parse(rawBody), receivedAt: Date.now() };
      received.push(request);
      for (const wake of waiters) wake();
      const index = received.length - 1;
      if (respond(request, index, res) === 'hang') return void hanging.add(res);
      if (!res.headersSent) res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    port: address.port,
    received,
    /** Resolves once `count` requests have arrived; fails after `timeoutMs`. */
    waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedCallback[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.length} of ${count} callbacks in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function verifySignature(request: ReceivedCallback, secret = TEST_SIGNING_SECRET): unknown {
  return new Webhook(secret).verify(request.rawBody, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}

/** Polls `read` until `accept` holds: for state that changes with no event to wait on. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
