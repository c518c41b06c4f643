import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

// How the API hands a browser what it needs for Stripe.js, and when it serves the example shop.
describe('the shop: served at /shop, and the public stripeConfig query', () => {
  let shop: TestPaygraph;
  let noShop: TestPaygraph;
  const STRIPE_CONFIG = '{ stripeConfig { publishableKey stripeJsUrl mode } }';

  beforeAll(async () => {
    [shop, noShop] = await Promise.all([
      startTestPaygraph({
        env: { STRIPE_PUBLISHABLE_KEY: 'pk_test_shopkey', STRIPE_JS_URL: 'http://127.0.0.1:12111/v3/' },
      }),
      startTestPaygraph({ env: { SHOP: 'false' } }),
    ]);
  });
  afterAll(async () => {
    await shop?.stop();
    await noShop?.stop();
  });

  it('tells anyone, signed in or not, the publishable key and where to load Stripe.js; Stripe’s own script by default', async () => {
    expect((await shop.graphql(STRIPE_CONFIG)).data).toEqual({
      stripeConfig: { publishableKey: 'pk_test_shopkey', stripeJsUrl: 'http://127.0.0.1:12111/v3/', mode: 'TEST' },
    });
    expect((await noShop.graphql(STRIPE_CONFIG)).data).toEqual({
      stripeConfig: { publishableKey: null, stripeJsUrl: 'https://js.stripe.com/v3/', mode: 'TEST' },
    });
  });

  it('serves the page and its modules, allowing scripts and frames from this origin and the Stripe.js origin alone', async () => {
    const page = await fetch(`${shop.url}/shop`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/shop/shop.js">');
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("script-src 'self' http://127.0.0.1:12111;");
    expect(policy).toContain('frame-src http://127.0.0.1:12111;');
    expect(policy).toContain("default-src 'none'");
    for (const file of ['shop.js', 'api.js', 'cards.js', 'purchases.js', 'stripe.js', 'dom.js', 'shop.css']) {
      const response = await fetch(`${shop.url}/shop/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toMatch(/^text\/(javascript|css)/);
    }
  });

  it('serves nothing at /shop when SHOP is off (production’s default)', async () => {
    expect((await fetch(`${noShop.url}/shop`)).status).toBe(404);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/paygraph' }).SHOP).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/paygraph', SHOP: 'true' }).SHOP).toBe(
      true,
    );
  });

  it('refuses a secret key given as the publishable one, without repeating it', () => {
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_secretvalue' })).toThrow(
      /STRIPE_PUBLISHABLE_KEY: a publishable key/,
    );
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_secretvalue' })).not.toThrow(/secretvalue/);
  });
});
