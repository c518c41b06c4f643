import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// The delivery console in a real Chromium: sign in with the link npm start prints, find a failed
// delivery, read its attempts, redeliver it and watch it turn delivered without reloading.
// What a datetime-local input holds: local time, to the millisecond (the browser shares this machine's zone).
const STRIPE_WEBHOOK_SECRET = `whsec_${Buffer.from('paygraph-console-stripe-events!').toString('base64')}`;
const localDateTime = (date: Date) =>
  new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 23);

// A browser on a busy 2-core machine is slow to start and to draw: more time than the default.
describe('delivery console in a browser', { timeout: 60_000 }, () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let browser: Browser;
  let page: Page;
  let adminToken: string;
  let user: { userId: string; token: string };
  // Descriptions the receiver refuses (400: failed at once) until a test lets them through.
  const refused = new Set<string>();
  const outsideRequests: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver((request, _index, res) => {
      const description = request.body.data?.createdNode?.description;
      if (refused.has(description)) res.writeHead(400).end('{"error":"unknown customer"}');
      else if (request.body.event.callback === 'goneShop') res.writeHead(410).end('gone for good');
    });
    app = await startTestPaygraph({
      env: { RECEIVER_URL: receiver.url, STRIPE_WEBHOOK_SECRET },
      callbacksYaml: `callbacks:
  notifyShop:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    headers: { x-shop: acme, x-api-key: hidden-value }
    payload: "{ createdNode { id amount description } }"
  goneShop:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    when: { node: { description: console-gone } }
    maxInFlight: 3
    ratePerSecond: 10
    payload: "{ createdNode { id } }"
`,
    });
    adminToken = await app.accessToken('callbacks:admin');
    user = await app.signUp();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    page.on('request', (request) => {
      if (!request.url().startsWith(app.url)) outsideRequests.push(request.url());
    });
  });
  afterEach(() => page.close());
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await receiver?.close();
  });

  const failedPurchase = async (description: string) => {
    refused.add(description);
    const created = await app.graphql(
      'mutation($u: ID!, $d: String!) { createPurchase(amount: 1500, description: $d, userId: $u) { id } }',
      { u: user.userId, d: description },
      user.token,
    );
    const purchaseId = created.data!.createPurchase.id as string;
    const delivery = await eventually(
      () =>
        app.graphql('query($n: ID!) { callbackDeliveries(nodeId: $n) { id status } }', { n: purchaseId }, adminToken),
      (response) => response.data?.callbackDeliveries?.[0]?.status === 'FAILED',
    );
    return { purchaseId, deliveryId: delivery.data!.callbackDeliveries[0].id as string };
  };

  it('signs in from the link, opens a failed delivery, reads its attempts, redelivers it and sees it delivered', async () => {
    const { deliveryId } = await failedPurchase('console-redeliver');
    await page.goto(`${app.url}/console#token=${adminToken}`);
    expect(page.url()).not.toContain(adminToken);
    const callbackRow = page.locator('#callbacks tr[data-callback="notifyShop"]');
    await callbackRow.getByText('unknown customer').waitFor();

    await page.locator('#nav a', { hasText: 'Deliveries' }).click();
    await page.locator('#filter select[name=status]').selectOption('FAILED');
    await page.locator('#filter button[type=submit]').click();
    const row = page.locator(`#deliveries tr[data-delivery="${deliveryId}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('FAILED');
    await row.getByText('open').click();

    const attempt = page.locator('#attempts tr[data-attempt="1"]');
    await expect.poll(() => attempt.locator('.http-status').textContent()).toBe('400');
    const attemptText = (await attempt.textContent()) ?? '';
    expect(attemptText).toContain('unknown customer');
    expect(attemptText).toContain('webhook-signature');
    expect(attemptText).toContain('"x-shop": "acme"');
    expect(attemptText).not.toContain('hidden-value');
    expect(await page.locator('#payload').textContent()).toContain('console-redeliver');

    refused.delete('console-redeliver');
    await page.locator('#redeliver').click();
    // No reload: the page follows callbackDeliveryUpdated.
    await page.locator('#delivery[data-status="DELIVERED"]').waitFor();
    await page.locator('#attempts tr[data-attempt="2"][data-outcome="delivered"]').waitFor();
    expect(outsideRequests).toEqual([]);
  });

  it('shows a new delivery live, and a purchase with its timeline', async () => {
    await page.goto(`${app.url}/console#token=${adminToken}`);
    await page.locator('#nav a', { hasText: 'Deliveries' }).click();
    await page.locator('#deliveries').waitFor();
    await expect.poll(() => page.locator('#live').textContent()).toBe('live: on');
    const { purchaseId, deliveryId } = await failedPurchase('console-live');
    await page.locator(`#deliveries tr[data-delivery="${deliveryId}"][data-status="FAILED"]`).waitFor();

    // Stripe says the purchase's own payment went through (its amount, for its owner's customer), as it would at /stripe/webhook.
    await app.db.user.update({ where: { id: user.userId }, data: { stripeId: 'cus_console' } });
    const intent = {
      id: `pi_console_${purchaseId}`,
      object: 'payment_intent',
      status: 'succeeded',
      amount: 1500,
      amount_received: 1500,
      currency: 'usd',
      customer: 'cus_console',
      latest_charge: `ch_console_${purchaseId}`,
      metadata: { purchaseId },
    };
    const event = JSON.stringify({
      id: `evt_console_${purchaseId}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      data: { object: intent },
    });
    const stripeAnswer = await fetch(`${app.url}/stripe/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: event, secret: STRIPE_WEBHOOK_SECRET }),
      },
      body: event,
    });
    expect(await stripeAnswer.json()).toMatchObject({ outcome: 'applied' });

    await page.locator(`#deliveries tr[data-delivery="${deliveryId}"] a`, { hasText: purchaseId }).click();
    await page.locator('#timeline tr[data-kind="CREATED"]').waitFor();
    const timeline = page.locator('#timeline');
    expect(await timeline.textContent()).toContain('notifyShop');
    expect(await timeline.locator('tr[data-kind="STRIPE_EVENT"]').textContent()).toContain(
      `payment_intent.succeeded (evt_console_${purchaseId})`,
    );
    // In time order: created, the delivery, Stripe's event, then paid.
    const kinds = await timeline
      .locator('tr[data-kind]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind')));
    expect(kinds).toEqual(['CREATED', 'DELIVERY', 'STRIPE_EVENT', 'PAID']);
  });

  it('keeps redrawing the live list while deliveries keep coming', async () => {
    await page.goto(`${app.url}/console#token=${adminToken}`);
    await page.locator('#nav a', { hasText: 'Deliveries' }).click();
    await page.locator('#deliveries').waitFor();
    await expect.poll(() => page.locator('#live').textContent()).toBe('live: on');
    const rows = page.locator('#deliveries tr[data-delivery]');
    const newest = async () => ((await rows.count()) > 0 ? rows.first().getAttribute('data-delivery') : null);
    const shown = new Set([await newest()]);
    // Four buyers at once, each purchase with its delivery: never the quiet moment a debounced redraw waits for.
    let buying = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, buyer) => {
        for (let i = 0; buying; i++) {
          await app.graphql(
            'mutation($u: ID!, $d: String!) { createPurchase(amount: 1500, description: $d, userId: $u) { id } }',
            { u: user.userId, d: `load-${buyer}-${i}` },
            user.token,
          );
        }
      }),
    );
    try {
      // The newest row changes at least twice while the load goes on.
      await expect
        .poll(async () => shown.add(await newest()).size, { timeout: 10_000, interval: 100 })
        .toBeGreaterThanOrEqual(3);
    } finally {
      buying = false;
      await load;
    }
  });

  it('filters deliveries by node id, and by callback and time range, newest first', async () => {
    const before = await failedPurchase('console-filter-old');
    const from = new Date();
    const newer = [await failedPurchase('console-filter-1'), await failedPurchase('console-filter-2')];
    await page.goto(`${app.url}/console#token=${adminToken}`);
    await page.locator('#nav a', { hasText: 'Deliveries' }).click();
    await page.locator('#filter input[name=node]').fill(newer[0]!.purchaseId);
    await page.locator('#filter button[type=submit]').click();
    await expect
      .poll(() =>
        page
          .locator('#deliveries tr[data-delivery]')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-delivery'))),
      )
      .toEqual([newer[0]!.deliveryId]);

    await page.locator('#filter input[name=node]').fill('');
    await page.locator('#filter input[name=callback]').fill('notifyShop');
    await page.locator('#filter input[name=from]').fill(localDateTime(from));
    await page.locator('#filter button[type=submit]').click();
    const shown = () =>
      page
        .locator('#deliveries tr[data-delivery]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-delivery')));
    await expect.poll(shown).toEqual([newer[1]!.deliveryId, newer[0]!.deliveryId]);
    expect(await shown()).not.toContain(before.deliveryId);
  });

  it('redelivers the failed deliveries of a callback in a time range, showing the count first', async () => {
    // The range starts now, so failures other tests leave behind stay out of it.
    const from = new Date();
    const failed = [await failedPurchase('console-bulk-1'), await failedPurchase('console-bulk-2')];
    refused.delete('console-bulk-1');
    refused.delete('console-bulk-2');
    await page.goto(`${app.url}/console#token=${adminToken}`);
    await page.locator('#nav a', { hasText: 'Bulk redeliver' }).click();
    await page.locator('#recover input[name=from]').fill(localDateTime(from));
    await page.locator('#recover button[type=submit]').click();
    await page.locator('#recover-result', { hasText: '2 deliveries match' }).waitFor();
    await page.locator('#recover-confirm').click();
    await page.locator('#recover-result', { hasText: '2 deliveries queued again' }).waitFor();
    for (const { deliveryId } of failed) {
      await eventually(
        () => app.graphql('query($id: ID!) { callbackDelivery(id: $id) { status } }', { id: deliveryId }, adminToken),
        (response) => response.data?.callbackDelivery?.status === 'DELIVERED',
      );
    }
  });

  it('shows a callback its endpoint switched off (410), with why and its limits, and switches it on again', async () => {
    await app.graphql(
      'mutation($u: ID!) { createPurchase(amount: 100, description: "console-gone", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    await eventually(
      () => app.graphql('{ callbacks { name disabledReason } }', {}, adminToken),
      (response) =>
        response.data?.callbacks?.some(
          (c: { name: string; disabledReason: string | null }) => c.name === 'goneShop' && c.disabledReason === 'gone',
        ),
    );
    await page.goto(`${app.url}/console#token=${adminToken}`);
    const row = page.locator('#callbacks tr[data-callback="goneShop"]');
    await row.locator('.enabled', { hasText: 'switched off: endpoint answered 410' }).waitFor();
    expect(await row.textContent()).toContain('≤ 3 in flight · 10/s');
    await row.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => row.locator('.enabled').textContent()).toBe('yes');
  });

  it('refuses a token without callbacks:admin and asks to sign in again', async () => {
    const weak = await app.accessToken('nodes:read');
    await page.goto(`${app.url}/console#token=${weak}`);
    await page.locator('#signin', { hasText: 'FORBIDDEN' }).waitFor();
    await page.locator('#signin input[name=token]').fill(adminToken);
    await page.locator('#signin button').click();
    await page.locator('#callbacks').waitFor();
  });
});
