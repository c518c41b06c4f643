import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { rootDir } from '../../src/config.js';
import { launchChromium } from './browser.js';
import { openShop, type PageWatch } from './shop-page.js';
import { startShopStack, type ShopStack } from './shop-stack.js';

/** Where the shop's tests leave screenshots of what they saw (git-ignored). */
export const SCREENSHOTS = path.join(rootDir, 'test-results', 'shop');

/**
 * One npm start stack and one Chromium for a test file, and for each test a fresh shopper (a browser
 * context of its own) on the shop. After each test: nothing was requested off this machine and nothing
 * was logged as an error; a failed test leaves a screenshot.
 */
export function shopPerTest(dataDirPrefix: string) {
  const fixture = {} as { stack: ShopStack; page: Page; watch: PageWatch };
  let browser: Browser;
  let context: BrowserContext;
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [fixture.stack, browser] = await Promise.all([startShopStack(dataDirPrefix), launchChromium()]);
  }, 120_000);
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 900, height: 780 } });
    fixture.watch = await openShop(context, fixture.stack);
    fixture.page = fixture.watch.page;
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail')
      await fixture.page.screenshot({ path: path.join(SCREENSHOTS, `failed-${task.id}.png`) });
    expect(fixture.watch.outside).toEqual([]);
    expect(fixture.watch.errors).toEqual([]);
    await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await fixture.stack?.stop();
  });
  return fixture;
}
