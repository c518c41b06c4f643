import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';

/** Chromium from Debian's package, driven by playwright-core, kept from calling anywhere on its own (as test/support/browser.ts). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A shop's page on its own loopback origin, loading the emulator's Stripe.js as a page loads
 * js.stripe.com/v3/: a card Element mounted in `#card`, its change events kept in `window.changes`, the others' names in `window.events`.
 */
export async function startShopPage(emulatorUrl: string): Promise<{ url: string; server: Server }> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>shop</title>
<script src="${emulatorUrl}/v3/"></script></head><body>
<form id="pay"><label for="card">Card</label><div id="card"></div><div id="card-errors" role="alert"></div>
<button type="submit">Pay</button></form>
<script>
  window.stripe = Stripe(new URLSearchParams(location.search).get('pk'));
  window.card = stripe.elements().create('card');
  window.changes = [];
  card.on('change', (event) => {
    changes.push(event);
    document.getElementById('card-errors').textContent = event.error ? event.error.message : '';
  });
  window.events = [];
  for (const name of ['ready', 'focus', 'blur']) card.on(name, () => events.push(name));
  card.on('ready', () => (window.cardReady = true));
  card.mount('#card');
</script></body></html>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

export interface Recorded {
  url: string;
  body: string;
  fromShopPage: boolean;
}

/** Every request the page and its frames make, and every error it logs. */
export function watch(page: Page) {
  const requests: Recorded[] = [];
  const errors: string[] = [];
  page.on('request', (request: Request) =>
    requests.push({
      url: request.url(),
      body: request.postData() ?? '',
      fromShopPage: request.frame() === page.mainFrame(),
    }),
  );
  page.on('console', (message) => {
    // Chromium logs every non-2xx answer; a decline is Stripe's 402, logged the same on js.stripe.com.
    const decline =
      message.text() === 'Failed to load resource: the server responded with a status of 402 (Payment Required)';
    if (message.type() === 'error' && !decline) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { requests, errors };
}

/** Types a card into the Element's iframe, key by key as a cardholder does. */
export async function typeCard(
  page: Page,
  card: { number: string; expiry?: string; cvc?: string; postalCode?: string },
): Promise<void> {
  const frame = page.frameLocator('iframe[title="Secure card payment input frame"]');
  await frame.getByLabel('Card number').pressSequentially(card.number);
  if (card.expiry !== undefined) await frame.getByLabel('Expiration date').pressSequentially(card.expiry);
  if (card.cvc !== undefined) await frame.getByLabel('Security code').pressSequentially(card.cvc);
  if (card.postalCode !== undefined) await frame.getByLabel('ZIP or postal code').pressSequentially(card.postalCode);
}

/** The cardholder's answer in the 3-D Secure modal. */
export async function answerChallenge(page: Page, outcome: 'Complete' | 'Fail'): Promise<void> {
  const modal = page.frameLocator('iframe[title="3D Secure authentication"]');
  await modal.getByRole('button', { name: `${outcome} authentication` }).click();
}
