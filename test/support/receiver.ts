import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listen } from '../../packages/testing/listen.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';

export interface ReceivedCallback {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: {
    data: Record<string, any>;
    event: { id: string; callback: string; trigger: string; nodeId: string; createdAt: string; attempt: number };
  };
  receivedAt: number;
}

/** How the receiver answers the n-th request (0-based); default 200. */
export type Responder = (request: ReceivedCallback, index: number, res: ServerResponse) => void | 'hang';

/** A real HTTP server on loopback that records every callback it gets, verified or not. */
export async function startReceiver(respond: Responder = () => undefined, port = 0) {
  const received: ReceivedCallback[] = [];
  const waiters = new Set<() => void>();
  const hanging = new Set<ServerResponse>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    let rawBody = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (rawBody += chunk));
    req.on('end', () => {
      const request: ReceivedCallback = {
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody),
        receivedAt: Date.now(),
      };
      received.push(request);
      for (const wake of waiters) wake();
      const index = received.length - 1;
      if (respond(request, index, res) === 'hang') return void hanging.add(res);
      if (!res.headersSent) res.writeHead(200).end('ok');
    });
  };
  const server = await listen({ listener }, port);
  return {
    url: new URL('/hook', server.url).toString(),
    port: server.port,
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
      await server.close();
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
