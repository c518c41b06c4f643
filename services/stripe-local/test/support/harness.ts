import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { CONTROL_PATH, startStripeLocal, type StripeLocalOptions } from '../../index.js';

/** A fresh secret key: a fresh, empty account, so tests never see each other's objects. */
export const newKey = () => `sk_test_${randomBytes(12).toString('hex')}`;

/** One emulator per test file, in this process, on a free loopback port. */
export async function startEmulator(options: StripeLocalOptions = {}) {
  const emulator = await startStripeLocal(options);
  const { hostname, port } = new URL(emulator.url);
  return {
    ...emulator,
    /**
     * The official SDK on a new account (or the given key's), no retries so each call is one request; it sends
     * `apiVersion` as its Stripe-Version when given (an older version than the SDK's own is typed as its own).
     */
    stripe(key = newKey(), apiVersion?: string) {
      return new Stripe(key, {
        host: hostname,
        port: Number(port),
        protocol: 'http',
        maxNetworkRetries: 0,
        ...(apiVersion && { apiVersion: apiVersion as Stripe.LatestApiVersion }),
      });
    },
    /** The test-only control path, for the account of `stripe`. */
    async control(
      stripe: Stripe,
      method: 'DELETE' | 'GET' | 'POST',
      path: string,
      params: Record<string, string | number> = {},
    ) {
      const response = await stripe.rawRequest(
        method,
        `${CONTROL_PATH}/${path}`,
        method === 'GET' ? undefined : params,
      );
      return response as unknown as Record<string, unknown>;
    },
    /** A raw HTTP request with a key (or none), for what the SDK would not send. */
    async raw(
      path: string,
      init: { method?: string; key?: string | null; body?: string; headers?: Record<string, string> } = {},
    ) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...init.headers };
      if (init.key !== null) headers.authorization = `Bearer ${init.key ?? newKey()}`;
      const response = await fetch(`${emulator.url}${path}`, {
        method: init.method ?? 'POST',
        headers,
        ...(init.body !== undefined && { body: init.body }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        text,
        json: () => JSON.parse(text) as { error?: Record<string, string> } & Record<string, unknown>,
      };
    },
  };
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that records every request and answers `status()` (200 unless changed). */
export async function startReceiver() {
  const received: Received[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    received,
    state,
    events: () => received.map((request) => JSON.parse(request.body) as Stripe.Event),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it holds (5 s at most): tests wait on conditions, not on time. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error a Stripe call throws, for assertions on its type, code and param. */
export async function stripeError(call: Promise<unknown>): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the Stripe call to fail');
}
