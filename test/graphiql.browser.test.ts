import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// A newcomer opens http://localhost:4000/graphql with no internet: GraphiQL must come from the API
// itself, work under its Content-Security-Policy, and refuse to be framed.
describe('GraphiQL in a browser', { timeout: 90_000 }, () => {
  let app: TestPaygraph;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestPaygraph({ env: { GRAPHIQL: 'true' } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('renders its editor, runs a query and shows the result, fetching nothing from outside the API, with no CSP violation', async () => {
    const page = await browser.newPage();
    const origins = new Set<string>();
    const problems: string[] = [];
    // Every request, the editor's blob: workers included (a blob URL's origin is the page's).
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const response = await page.goto(`${app.url}/graphql?query=${encodeURIComponent('query Hello { __typename }')}`, {
      waitUntil: 'load',
    });
    await page.locator('.graphiql-query-editor').first().waitFor();
    await page.locator('.graphiql-execute-button').click();
    await expect
      .poll(() => page.locator('.graphiql-response').first().textContent(), { timeout: 30_000 })
      .toMatch(/"__typename":\s*"Query"/);

    expect([...origins]).toEqual([new URL(app.url).origin]);
    expect(problems).toEqual([]);
    const headers = response!.headers();
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).not.toMatch(/unsafe-eval|https?:/);
    await page.close();
  });

  it('is not served when GRAPHIQL is off: the browser gets no page', async () => {
    const off = await startTestPaygraph({ env: { GRAPHIQL: 'false' } });
    try {
      const response = await fetch(`${off.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
    } finally {
      await off.stop();
    }
  });
});
