import type { BrowserContext, Frame, Page } from 'playwright-core';
import { eventually } from '../../packages/testing/eventually.js';
import type { ShopStack } from './shop-stack.js';

/** Stripe's test card numbers (docs.stripe.com/testing), as a shopper types them. */
export const CARDS = {
  visa: '4242 4242 4242 4242',
  authenticateAlways: '4000 0027 6000 3184',
  authenticateOnSetup: '4000 0025 0000 3155',
  declined: '4000 0000 0000 0002',
  chargeFails: '4000 0000 0000 0341',
} as const;

/** What a page did that a user or a reviewer would object to: requests away from this machine, errors in its console. */
export interface PageWatch {
  page: Page;
  outside: string[];
  errors: string[];
  /** Every request the page (its frames included) made to the API, with its body. */
  toApi: string[];
}

/** A fresh page in its own context (its own session storage: another shopper), watched from the first request. */
export async function openShop(context: BrowserContext, stack: ShopStack): Promise<PageWatch> {
  const page = await context.newPage();
  const watched: PageWatch = { page, outside: [], errors: [], toApi: [] };
  const apiOrigin = new URL(stack.shopUrl).origin;
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:') return;
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') watched.outside.push(request.url());
    if (url.origin === apiOrigin)
      watched.toApi.push(`${request.method()} ${request.url()}\n${request.postData() ?? ''}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  await page.goto(stack.shopUrl);
  return watched;
}

let shoppers = 0;

/** Creates an account from the shop's form and waits for the shop to show. */
export async function signUp(page: Page): Promise<string> {
  const email = `shopper${++shoppers}-${Date.now()}@example.com`;
  await page.getByLabel('Name').fill('Test Shopper');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your cards' }).waitFor();
  return email;
}

/** Stripe's card field: an iframe of the Stripe origin inside #card-element. */
async function cardFrame(page: Page): Promise<Frame> {
  return eventually(
    async () => page.frames().find((frame) => frame.url().includes('/v3/elements/card')),
    (frame) => frame !== undefined,
    15_000,
  ) as Promise<Frame>;
}

/** Types a card into Stripe's field and saves it; the caller waits for what the page says. */
export async function addCard(page: Page, number: string): Promise<void> {
  const frame = await cardFrame(page);
  await frame.waitForLoadState();
  // A key typed before the field's script listens is lost to its formatting: type until the field holds it all.
  const type = async (label: string | RegExp, value: string) => {
    const input = frame.getByLabel(label);
    await eventually(
      async () => {
        await input.fill('');
        await input.pressSequentially(value);
        return (await input.inputValue()).replace(/\D/g, '');
      },
      (typed) => typed === value,
      15_000,
    );
  };
  await type('Card number', number.replaceAll(' ', ''));
  await type(/Expiration/, '1234');
  await type(/CVC/, '123');
  await page.getByRole('button', { name: 'Save card' }).click();
}

/** Answers the bank's 3-D Secure page, opened by Stripe.js in a modal of Stripe's origin. */
export async function authenticate(page: Page, outcome: 'Complete' | 'Fail'): Promise<void> {
  const frame = (await eventually(
    async () => page.frames().find((candidate) => candidate.url().includes('/authenticate/')),
    (candidate) => candidate !== undefined,
    15_000,
  )) as Frame;
  await frame.getByRole('button', { name: `${outcome} authentication` }).click();
}

/** The row "My purchases" shows for the purchase a Buy click made: the newest. */
export async function buy(page: Page, item: string): Promise<string> {
  const rows = page.locator('#purchases tr');
  const before = await rows.count();
  await page.getByRole('button', { name: `Buy ${item}` }).click();
  await eventually(
    () => rows.count(),
    (count) => count > before,
  );
  return (await rows.first().getAttribute('data-purchase'))!;
}

export const purchaseRow = (page: Page, id: string) => page.locator(`#purchases tr[data-purchase="${id}"]`);
