import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rootDir, STRIPES_OWN_JS, type Config } from '../config.js';
import type { Route } from '../probes.js';

/** The example storefront: a folder people copy, so it lives beside the code rather than inside src/. */
export const SHOP_DIR = path.join(rootDir, 'examples', 'shop');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Stripe's documented CSP for Stripe.js (docs.stripe.com/security/guide#content-security-policy).
const STRIPE_HOSTS = {
  script: 'https://js.stripe.com https://*.js.stripe.com',
  frame: 'https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com',
  connect: 'https://api.stripe.com',
};

/** The page may load Stripe.js, frame its card field and 3-D Secure, and call its API: nothing else outside this origin. */
function securityHeaders(stripeJsUrl: string): Record<string, string> {
  const origin = new URL(stripeJsUrl).origin;
  const stripes = stripeJsUrl === STRIPES_OWN_JS;
  const hosts = stripes ? STRIPE_HOSTS : { script: origin, frame: origin, connect: origin };
  return {
    'content-security-policy': [
      "default-src 'none'",
      `script-src 'self' ${hosts.script}`,
      `frame-src ${hosts.frame}`,
      `connect-src 'self' ${hosts.connect}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/** GET /shop and its files (SHOP): static, read once at start; the page itself talks only to /graphql and Stripe.js. */
export function shopRoutes(config: Pick<Config, 'STRIPE_JS_URL'>): Record<string, Route> {
  if (!existsSync(SHOP_DIR)) throw new Error(`SHOP is on, but ${SHOP_DIR} is missing: set SHOP=false`);
  const headers = securityHeaders(config.STRIPE_JS_URL);
  const files = readdirSync(SHOP_DIR).filter((file) => TYPES[path.extname(file)]);
  const routes = files.map((file): [string, Route] => {
    const body = readFileSync(path.join(SHOP_DIR, file));
    const contentType = TYPES[path.extname(file)]!;
    return [
      `/shop/${file}`,
      async (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length, ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    ];
  });
  const index = Object.fromEntries(routes)['/shop/index.html']!;
  return { ...Object.fromEntries(routes), '/shop': index, '/shop/': index };
}
