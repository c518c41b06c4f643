import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Reply } from '../http/api-call.js';
import { cardFramePage } from './card-frame-page.js';

const SCRIPTS: Record<string, string> = {
  '/v3/': 'stripe.ts',
  '/v3/elements/card.js': 'card-frame.ts',
};
const bundles = new Map<string, Promise<string>>();

/**
 * The browser half of the emulator, where js.stripe.com serves Stripe.js: `/v3/` (the script), the card
 * field's frame and its script. TypeScript is bundled with esbuild (tsx's, which runs the emulator) at
 * first request and kept.
 */
export async function stripeJsReply(method: string, url: URL): Promise<Reply> {
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'GET only');
  const entry = SCRIPTS[url.pathname === '/v3' ? '/v3/' : url.pathname];
  if (entry) {
    const body = await bundle(entry);
    return {
      status: 200,
      body,
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
    };
  }
  if (url.pathname === '/v3/elements/card')
    return {
      status: 200,
      body: cardFramePage(url.searchParams),
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
    };
  return text(404, 'Not found: stripe-local serves /v3/ (Stripe.js) and /v3/elements/card.');
}

const text = (status: number, body: string): Reply => ({
  status,
  body,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
});

function bundle(entry: string): Promise<string> {
  let code = bundles.get(entry);
  if (!code) {
    code = build({
      entryPoints: [fileURLToPath(new URL(`./browser/${entry}`, import.meta.url))],
      bundle: true,
      write: false,
      format: 'iife',
      target: ['es2020'],
      legalComments: 'none',
      logLevel: 'silent',
    }).then((output) => output.outputFiles[0]!.text);
    bundles.set(entry, code);
    code.catch(() => bundles.delete(entry));
  }
  return code;
}

// api.stripe.com answers browsers of any origin (Stripe.js calls it from the shop's page) and says so on every answer.
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Request-Id, Stripe-Version, Idempotent-Replayed, Original-Request',
};

/** The answer to a browser's preflight (`OPTIONS`) before a cross-origin call with a key. */
export const corsPreflight = (): Reply => ({
  status: 204,
  body: '',
  headers: {
    ...CORS_HEADERS,
    'access-control-allow-methods': 'GET, POST, DELETE',
    'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account',
    'access-control-max-age': '300',
  },
});
