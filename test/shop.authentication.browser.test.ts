import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { launchChromium } from './support/browser.js';
import {
  addCard,
  authenticate,
  buy,
  CARDS,
  openShop,
  purchaseRow,
  signUp,
  type PageWatch,
} from './support/shop-page.js';
import { startShopStack, type ShopStack } from './support/shop-stack.js';

// 3-D Secure in the shop: Stripe.js opens the bank's challenge in a modal, once when the card is saved
// (confirmCardSetup) and, for a card that always asks, again when it is charged (confirmCardPayment).
const SCREENSHOTS = path.join(rootDir, 'test-results', 'shop');

describe('the shop: cards the bank refuses or wants authenticated', { timeout: 90_000 }, () => {
  let stack: ShopStack;
  let browser: Browser;
  let context: BrowserContext;
  let shop: PageWatch;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startShopStack('paygraph-shop-3ds-'), launchChromium()]);
  }, 120_000);
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 900, height: 860 } });
    shop = await openShop(context, stack);
    page = shop.page;
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await page.screenshot({ path: path.join(SCREENSHOTS, `failed-${task.id}.png`) });
    expect(shop.outside).toEqual([]);
    expect(shop.errors).toEqual([]);
    await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A saved 4000 0027 6000 3184, authenticated in the modal when saved. */
  const savedAlwaysAuthenticatingCard = async () => {
    await signUp(page);
    await addCard(page, CARDS.authenticateAlways);
    await authenticate(page, 'Complete');
    await page.locator('#cards li[data-status="ACTIVE"]').getByText('•••• 3184').waitFor();
  };

  it('4000 0027 6000 3184: authenticated when saved, then again when charged; Complete → PAID', async () => {
    await signUp(page);
    await addCard(page, CARDS.authenticateAlways);
    await page.locator('#cards li[data-status="REQUIRES_ACTION"]').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, '4-authenticate-card.png') });
    await authenticate(page, 'Complete');
    await page.locator('#cards li[data-status="ACTIVE"]').getByText('•••• 3184').waitFor();

    const id = await buy(page, 'Hoodie');
    await authenticate(page, 'Complete');
    await page.locator(`#purchases tr[data-purchase="${id}"][data-status="PAID"]`).waitFor();
    expect(await purchaseRow(page, id).textContent()).toContain('Paid');
  });

  it('4000 0027 6000 3184: Fail at the payment → the purchase FAILED, with the reason in its row', async () => {
    await savedAlwaysAuthenticatingCard();
    const id = await buy(page, 'Paygraph mug');
    await authenticate(page, 'Fail');
    await page.locator(`#purchases tr[data-purchase="${id}"][data-status="FAILED"]`).waitFor();
    expect(await purchaseRow(page, id).textContent()).toMatch(/failed authentication/i);
    expect(await page.locator('#buy-message').textContent()).toMatch(/authenticat/i);
  });

  it('4000 0000 0000 0002 is refused when saved, with the message beside the card field', async () => {
    await signUp(page);
    await addCard(page, CARDS.declined);
    await page.locator('#cards li[data-status="REJECTED"]').waitFor();
    await expect.poll(() => page.locator('#card-message').textContent()).toBe('Your card was declined.');
    await page.screenshot({ path: path.join(SCREENSHOTS, '5-card-refused.png') });
  });
});
