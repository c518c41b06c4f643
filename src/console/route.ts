import { readFileSync } from 'node:fs';
import type { Route } from '../probes.js';

// Plain files, no build step: read once at start. `npm run build` copies public/ beside the compiled file.
const FILES = {
  '/console': ['index.html', 'text/html; charset=utf-8'],
  '/console/': ['index.html', 'text/html; charset=utf-8'],
  '/console/console.js': ['console.js', 'text/javascript; charset=utf-8'],
  '/console/console.css': ['console.css', 'text/css; charset=utf-8'],
} as const;

// Everything comes from this origin; nothing is fetched from anywhere else, and no page may frame it.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The delivery console (src/console/public): static files; it talks to /graphql with the operator's token. */
export function consoleRoutes(): Record<string, Route> {
  return Object.fromEntries(
    Object.entries(FILES).map(([path, [file, contentType]]) => {
      const body = readFileSync(new URL(`./public/${file}`, import.meta.url));
      const route: Route = async (req, res) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length, ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      return [path, route];
    }),
  );
}
