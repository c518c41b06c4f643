import { createHash } from 'node:crypto';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/**
 * GraphiQL served whole from this process: @graphql-yoga/render-graphiql bundles it (about 9 MB of
 * script, inlined in the page), so the page works offline; Yoga's own page loads it from unpkg.
 * Imported at the first request for the page, so an API with GRAPHIQL off never loads the bundle.
 */
export function offlineGraphiQL(): { render: (options?: GraphiQLOptions) => Promise<string>; plugin: Plugin } {
  // One page per options; Yoga passes the same options (from config) every time.
  const pages = new Map<string, Promise<{ html: string; policy: string }>>();
  let policy = "default-src 'none'; frame-ancestors 'none'";
  return {
    async render(options) {
      const key = JSON.stringify(options ?? {});
      if (!pages.has(key))
        pages.set(
          key,
          import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => withPolicy(renderGraphiQL(options))),
        );
      const page = await pages.get(key)!;
      policy = page.policy;
      return page.html;
    },
    // Yoga answers GraphiQL with only a Content-Type; it is the only HTML the API's Yoga serves.
    plugin: {
      onResponse({ response }) {
        if (!response.headers.get('content-type')?.startsWith('text/html')) return;
        response.headers.set('content-security-policy', policy);
        response.headers.set('x-frame-options', 'DENY');
        response.headers.set('x-content-type-options', 'nosniff');
        response.headers.set('referrer-policy', 'no-referrer');
      },
    },
  };
}

/**
 * The narrowest policy the bundle runs under (test/graphiql.browser.test.ts reports any violation):
 * its one inline script by hash, no 'unsafe-eval'; its editor (Monaco) starts workers from blob:
 * URLs, and sets inline styles and creates <style> elements as it draws, so style-src needs
 * 'unsafe-inline' (a hash would turn that off). Fonts and the icon are data: URIs; it talks only to
 * this origin. With nothing loadable from elsewhere, an injected style has nowhere to send data.
 */
function withPolicy(html: string): { html: string; policy: string } {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
  const policy = [
    "default-src 'none'",
    `script-src ${scripts.join(' ')}`,
    'worker-src blob:',
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    'img-src data:',
    'font-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, policy };
}
