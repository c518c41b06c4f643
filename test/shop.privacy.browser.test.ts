import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { addCard, buy, CARDS, openShop, signUp } from './support/shop-page.js';
import { startShopStack, type ShopStack } from './support/shop-stack.js';

// What the shop must never do: show one shopper another's cards or purchases, call anywhere but this
// machine, or let a card number reach the shop's origin (the API) rather than Stripe's.
describe('the shop: each shopper sees their own, and card numbers stay with Stripe', { timeout: 90_000 }, () => {
  let stack: ShopStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startShopStack('paygraph-shop-privacy-'), launchChromium()]);
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await stack?.stop();
  });

  const shopper = async () => {
    const context = await browser.newContext();
    contexts.push(context);
    return openShop(context, stack);
  };
  const shown = async (watch: Awaited<ReturnType<typeof shopper>>) => ({
    cards: await watch.page.locator('#cards li[data-card] .brand').allTextContents(),
    purchases: await watch.page.locator('#purchases tr td:first-child').allTextContents(),
  });

  it("two shoppers in two browser contexts: neither sees the other's cards or purchases, before or after a reload", async () => {
    const [ann, bob] = await Promise.all([shopper(), shopper()]);
    await signUp(ann.page);
    await signUp(bob.page);
    await addCard(ann.page, CARDS.visa);
    await addCard(bob.page, CARDS.chargeFails);
    await ann.page.locator('#cards li[data-status="ACTIVE"]').waitFor();
    await bob.page.locator('#cards li[data-status="ACTIVE"]').waitFor();
    await ann.page
      .locator(`#purchases tr[data-purchase="${await buy(ann.page, 'Hoodie')}"][data-status="PAID"]`)
      .waitFor();
    await bob.page
      .locator(`#purchases tr[data-purchase="${await buy(bob.page, 'Sticker pack')}"][data-status="FAILED"]`)
      .waitFor();

    for (const reload of [false, true]) {
      if (reload) await Promise.all([ann.page.reload(), bob.page.reload()]);
      await ann.page.locator('#purchases tr[data-status="PAID"]').waitFor();
      await bob.page.locator('#purchases tr[data-status="FAILED"]').waitFor();
      expect(await shown(ann)).toEqual({ cards: ['Visa •••• 4242'], purchases: ['Hoodie'] });
      expect(await shown(bob)).toEqual({ cards: ['Visa •••• 0341'], purchases: ['Sticker pack'] });
    }
  });

  it('requests nothing outside this machine, logs no error, and never sends the API a card number (checked on the wire)', async () => {
    const watch = await shopper();
    await signUp(watch.page);
    await addCard(watch.page, CARDS.visa);
    await watch.page.locator('#cards li[data-status="ACTIVE"]').waitFor();
    await watch.page
      .locator(`#purchases tr[data-purchase="${await buy(watch.page, 'Paygraph mug')}"][data-status="PAID"]`)
      .waitFor();

    expect(watch.outside).toEqual([]);
    expect(watch.errors).toEqual([]);
    // The page did talk to the API (sign-up, createCardDetails with a pm_), and every byte of it went through the wire check.
    expect(watch.toApi.some((request) => request.includes('createCardDetails') && /pm_\w+/.test(request))).toBe(true);
    expect(stack.sentToApi()).toContain('createCardDetails');
    for (const sent of [watch.toApi.join('\n'), stack.sentToApi()]) {
      expect(sent).not.toContain('4242424242424242');
      expect(sent).not.toContain('4242 4242 4242 4242');
    }
  });
});
