import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishableKeyOf } from '../index.js';
import { newKey, startEmulator, type Emulator } from './support/harness.js';
import { answerChallenge, launchChromium, startShopPage, typeCard, watch } from './support/stripe-js-page.js';

// The emulator's Stripe.js in a real Chromium, on a shop page of another origin: the card is typed into
// the emulator's iframe, and 3-D Secure answered in its modal, as with js.stripe.com.
type Result = { error?: Record<string, any> } & Record<string, any>;
declare const stripe: any;
declare const card: any;

describe('stripe-local: Stripe.js in a browser', { timeout: 60_000 }, () => {
  let emulator: Emulator;
  let shop: Awaited<ReturnType<typeof startShopPage>>;
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watch>;
  let key: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    shop = await startShopPage(emulator.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    shop?.server.close();
    await emulator?.stop();
  });
  beforeEach(async () => {
    key = newKey();
    page = await browser.newPage();
    seen = watch(page);
    await page.goto(`${shop.url}?pk=${publishableKeyOf(key)}`);
    await page.waitForFunction(() => (window as any).cardReady === true);
  });
  afterEach(async () => {
    await page.close();
    // Nothing logged an error, nothing left loopback, and the shop's own page never sent a card number.
    expect(seen.errors).toEqual([]);
    for (const request of seen.requests) {
      expect(request.url.startsWith(emulator.url) || request.url.startsWith(shop.url)).toBe(true);
      if (request.fromShopPage)
        expect(`${request.url} ${request.body}`).not.toMatch(/4242424242424242|4000002760003184/);
    }
  });

  const shownError = () => page.locator('#card-errors').textContent();
  const run = (script: (argument: any) => Promise<Result>, argument?: unknown) => page.evaluate(script, argument);

  it('createPaymentMethod: the card typed in the iframe becomes a pm_ at the emulator, posted by the iframe itself', async () => {
    await typeCard(page, { number: '4242424242424242', expiry: '1234', cvc: '123', postalCode: '42424' });
    await expect
      .poll(() => page.evaluate(() => (window as any).changes.at(-1)))
      .toMatchObject({
        elementType: 'card',
        complete: true,
        empty: false,
        brand: 'visa',
      });
    const { paymentMethod } = await run(() =>
      stripe.createPaymentMethod({ type: 'card', card, billing_details: { name: 'Jenny Rosen' } }),
    );
    expect(paymentMethod.id).toMatch(/^pm_/);
    const saved = await emulator.stripe(key).paymentMethods.retrieve(paymentMethod.id);
    expect(saved.card).toMatchObject({ last4: '4242', brand: 'visa' });
    expect(saved.billing_details.name).toBe('Jenny Rosen');
    const posted = seen.requests.find((request) => request.url === `${emulator.url}/v1/payment_methods`);
    expect(posted).toMatchObject({ fromShopPage: false });
    expect(new URLSearchParams(posted!.body).get('card[number]')).toBe('4242424242424242');
    expect(new URLSearchParams(posted!.body).get('card[exp_year]')).toBe('2034');

    // The older forms, and a token.
    const older = await run(() => stripe.createPaymentMethod('card', card));
    expect(older.paymentMethod.card.last4).toBe('4242');
    const { token } = await run(() => stripe.createToken(card));
    expect(token).toMatchObject({ id: expect.stringMatching(/^tok_/), card: { last4: '4242' } });
  });

  it("an invalid or incomplete card is reported through on('change') with Stripe.js's messages, and refused on submit", async () => {
    await typeCard(page, { number: '4242424242424241' });
    await expect.poll(shownError).toBe('Your card number is invalid.');
    expect(await page.evaluate(() => (window as any).changes.at(-1))).toMatchObject({
      complete: false,
      error: { type: 'validation_error', code: 'invalid_number' },
    });
    await page.evaluate(() => card.clear());
    await expect.poll(shownError).toBe('');
    await typeCard(page, { number: '378282' });
    await expect.poll(() => page.evaluate(() => (window as any).changes.at(-1).brand)).toBe('amex');
    await page.keyboard.press('Tab'); // leaving the number field: incomplete now counts
    await expect.poll(shownError).toBe('Your card number is incomplete.');
    const refused = await run(() => stripe.createPaymentMethod({ type: 'card', card }));
    expect(refused.error).toMatchObject({ type: 'validation_error', code: 'incomplete_number' });

    await page.evaluate(() => card.clear());
    await typeCard(page, { number: '4242424242424242', expiry: '1220' });
    await expect.poll(shownError).toBe("Your card's expiration year is in the past.");
    expect(seen.requests.filter((request) => request.url.includes('/v1/'))).toEqual([]);
  });

  it('keyboard alone: focus() puts the cursor in the number, typing moves through the fields, Tab leaves the Element', async () => {
    await page.evaluate(() => card.focus());
    await page.keyboard.type('4242424242424242' + '1234' + '123' + '42424');
    await expect.poll(() => page.evaluate(() => (window as any).changes.at(-1).complete)).toBe(true);
    expect(await page.locator('#card').getAttribute('class')).toContain('StripeElement--complete');
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Pay');
    expect(await page.evaluate(() => (window as any).events)).toEqual(['ready', 'focus', 'blur']);
    const { paymentMethod } = await run(() => stripe.createPaymentMethod({ type: 'card', card }));
    expect(paymentMethod.card.last4).toBe('4242');
  });

  it('the script is JavaScript under 100 KB, and the API answers a browser of another origin as api.stripe.com does (CORS)', async () => {
    const script = await fetch(`${emulator.url}/v3/`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeLessThan(100_000);
    const preflight = await fetch(`${emulator.url}/v1/payment_methods`, {
      method: 'OPTIONS',
      headers: {
        origin: new URL(shop.url).origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const refused = await emulator.raw('/v1/customers', { key: publishableKeyOf(key), body: '' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });

  /** A card typed (4000 0027 6000 3184 unless told), then confirmCardPayment or confirmCardSetup with it: with 3-D Secure, pending until the modal is answered. */
  async function confirmWithCard(
    method: 'confirmCardPayment' | 'confirmCardSetup',
    clientSecret: string,
    number = '4000002760003184',
  ) {
    await typeCard(page, { number, expiry: '1234', cvc: '123', postalCode: '42424' });
    return run(
      ([name, secret]: [string, string]) => stripe[name](secret, { payment_method: { card } }),
      [method, clientSecret],
    );
  }

  /** A PaymentIntent the shop's server made, as Paygraph's charge-customer makes it. */
  const paymentIntent = () =>
    emulator.stripe(key).paymentIntents.create({
      amount: 2_500,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });

  it('confirmCardPayment with a 3-D Secure card: the modal opens, Complete -> succeeded', async () => {
    const intent = await paymentIntent();
    const confirming = confirmWithCard('confirmCardPayment', intent.client_secret!);
    await page.getByRole('dialog', { name: '3D Secure authentication' }).waitFor();
    await answerChallenge(page, 'Complete');
    const { paymentIntent: confirmed, error } = await confirming;
    expect(error).toBeUndefined();
    expect(confirmed).toMatchObject({ id: intent.id, status: 'succeeded' });
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect((await emulator.stripe(key).paymentIntents.retrieve(intent.id)).status).toBe('succeeded');
    const { paymentIntent: seenByPage } = await run(
      (secret: string) => stripe.retrievePaymentIntent(secret),
      intent.client_secret,
    );
    expect(seenByPage.status).toBe('succeeded');
  });

  it("confirmCardPayment: Fail in the modal -> { error } payment_intent_authentication_failure with Stripe.js's message", async () => {
    const intent = await paymentIntent();
    const confirming = confirmWithCard('confirmCardPayment', intent.client_secret!);
    await answerChallenge(page, 'Fail');
    const { error } = await confirming;
    expect(error).toMatchObject({
      type: 'invalid_request_error',
      code: 'payment_intent_authentication_failure',
      message:
        'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
      payment_intent: { id: intent.id, status: 'requires_payment_method' },
    });
    expect((await emulator.stripe(key).paymentIntents.retrieve(intent.id)).status).toBe('requires_payment_method');
  });

  it("Cancel or Escape in the modal fails the authentication, as closing Stripe's modal does", async () => {
    const intent = await paymentIntent();
    const confirming = confirmWithCard('confirmCardPayment', intent.client_secret!);
    await page.frameLocator('iframe[title="3D Secure authentication"]').getByRole('button').first().waitFor();
    await page.getByRole('button', { name: 'Cancel authentication' }).click();
    expect((await confirming).error).toMatchObject({ code: 'payment_intent_authentication_failure' });
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    // Escape, from the keyboard, does the same.
    const again = await paymentIntent();
    await page.evaluate(() => card.clear());
    const escaped = confirmWithCard('confirmCardPayment', again.client_secret!);
    await page.frameLocator('iframe[title="3D Secure authentication"]').getByRole('button').first().waitFor();
    await page.keyboard.press('Escape');
    expect((await escaped).error).toMatchObject({ code: 'payment_intent_authentication_failure' });
  });

  it("a declined card: confirmCardPayment gives Stripe's card_error with decline_code, and no modal", async () => {
    const intent = await paymentIntent();
    const { error } = await confirmWithCard('confirmCardPayment', intent.client_secret!, '4000000000000002');
    expect(error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      payment_intent: { id: intent.id },
      payment_method: { card: { last4: '0002' } },
    });
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('confirmCardSetup with the card Element: Complete -> the SetupIntent succeeded', async () => {
    const stripeApi = emulator.stripe(key);
    const customer = await stripeApi.customers.create({});
    const setup = await stripeApi.setupIntents.create({
      customer: customer.id,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const confirming = confirmWithCard('confirmCardSetup', setup.client_secret!);
    await answerChallenge(page, 'Complete');
    const { setupIntent } = await confirming;
    expect(setupIntent).toMatchObject({ id: setup.id, status: 'succeeded' });
    expect((await stripeApi.setupIntents.retrieve(setup.id)).status).toBe('succeeded');
  });

  it('a SetupIntent the server confirmed waits in requires_action: confirmCardSetup(secret) opens the modal; Fail -> setup_intent_authentication_failure', async () => {
    const stripeApi = emulator.stripe(key);
    const customer = await stripeApi.customers.create({});
    const setup = await stripeApi.setupIntents.create({
      customer: customer.id,
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(setup.status).toBe('requires_action');
    const confirming = run((secret: string) => stripe.confirmCardSetup(secret), setup.client_secret);
    await answerChallenge(page, 'Fail');
    const { error } = await confirming;
    expect(error).toMatchObject({ code: 'setup_intent_authentication_failure', setup_intent: { id: setup.id } });
  });

  it('handleNextAction on a PaymentIntent waiting for the cardholder: the modal, then succeeded', async () => {
    const intent = await emulator.stripe(key).paymentIntents.create({
      amount: 900,
      currency: 'eur',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(intent.status).toBe('requires_action');
    const handling = run((secret: string) => stripe.handleNextAction({ clientSecret: secret }), intent.client_secret);
    await answerChallenge(page, 'Complete');
    expect((await handling).paymentIntent).toMatchObject({ id: intent.id, status: 'succeeded' });
  });
});
