import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from './listen.js';

/**
 * The services' way to the local Stripe (services/stripe-local), for tests: a forwarding proxy that a
 * test can take down (connections reset, as when Stripe is unreachable) and bring back, and that can
 * hold requests to release them together.
 */
export async function startStripeGateway(standInUrl: string) {
  const state = { down: false };
  let gathering: { path: string; count: number; arrived: (() => void)[] } | null = null;
  const answers: { method: string; path: string; status: number; error: object }[] = [];

  const server = await listen({ listener: (req, res) => void forward(req, res) });

  /** Holds requests to `path` until `count` of them have arrived (5 s at most), then lets all through at once. */
  async function gather(path: string) {
    if (!gathering || gathering.path !== path) return;
    const group = gathering;
    const released = new Promise<void>((resolve) => group.arrived.push(resolve));
    const releaseAll = () => {
      if (gathering === group) gathering = null;
      for (const release of group.arrived) release();
    };
    if (group.arrived.length === group.count) releaseAll();
    const timer = setTimeout(releaseAll, 5_000);
    await released;
    clearTimeout(timer);
  }

  async function forward(req: IncomingMessage, res: ServerResponse) {
    if (state.down) return void req.socket.destroy();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const pathname = new URL(req.url ?? '/', standInUrl).pathname;
    const canned = answers.findIndex((answer) => answer.method === req.method && answer.path === pathname);
    if (canned >= 0) {
      const [{ status, error }] = answers.splice(canned, 1) as [(typeof answers)[number]];
      return void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    }
    if (req.method === 'POST') await gather(pathname);
    await passOn(req, res, standInUrl, chunks);
  }

  return {
    url: server.url.replace(/\/$/, ''),
    /** While true, every connection is reset: Stripe is unreachable. */
    set down(value: boolean) {
      state.down = value;
    },
    /** The next `count` POSTs to `path` reach the stand-in together: truly concurrent requests. */
    gatherNext(path: string, count: number) {
      gathering = { path, count, arrived: [] };
    },
    /** The next `count` `method` requests to `path` get this Stripe error instead of reaching the stand-in (Stripe's 409, a lock timeout). */
    answerNext(
      method: string,
      path: string,
      count: number,
      status: number,
      error: { type: string; message: string; code?: string },
    ) {
      for (let i = 0; i < count; i++) answers.push({ method, path, status, error });
    },
    close: server.close,
  };
}

/** Sends the request on to the stand-in and its answer back, with the headers a Stripe client reads; a refused connection resets this one. */
async function passOn(req: IncomingMessage, res: ServerResponse, standInUrl: string, chunks: Buffer[]): Promise<void> {
  const headers = Object.fromEntries(
    Object.entries(req.headers).filter(
      ([name, value]) => typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name),
    ),
  ) as Record<string, string>;
  let upstream: Response;
  try {
    upstream = await fetch(new URL(req.url ?? '/', standInUrl), {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
  } catch {
    return void req.socket.destroy();
  }
  const body = await upstream.text();
  const answerHeaders: Record<string, string> = {};
  for (const name of ['content-type', 'request-id', 'idempotent-replayed', 'original-request']) {
    const value = upstream.headers.get(name);
    if (value !== null) answerHeaders[name] = value;
  }
  res.writeHead(upstream.status, answerHeaders).end(body);
}
