import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addCard, authenticate, buy, CARDS, purchaseRow, signUp } from './support/shop-page.js';
import { SCREENSHOTS, shopPerTest } from './support/shop-fixture.js';

// 3-D Secure in the shop: Stripe.js opens the bank's challenge in a modal, once when the card is saved
// (confirmCardSetup) and, for a card that always asks, again when it is charged (confirmCardPayment).
describe('the shop: cards the bank refuses or wants authenticated', { timeout: 90_000 }, () => {
  const shop = shopPerTest('paygraph-shop-3ds-');

  /** A saved 4000 0027 6000 3184, authenticated in the modal when saved. */
  const savedAlwaysAuthenticatingCard = async () => {
    await signUp(shop.page);
    await addCard(shop.page, CARDS.authenticateAlways);
    await authenticate(shop.page, 'Complete');
    await shop.page.locator('#cards li[data-status="ACTIVE"]').getByText('•••• 3184').waitFor();
  };

  it('4000 0027 6000 3184: authenticated when saved, then again when charged; Complete → PAID', async () => {
    await signUp(shop.page);
    await addCard(shop.page, CARDS.authenticateAlways);
    await shop.page.locator('#cards li[data-status="REQUIRES_ACTION"]').waitFor();
    await shop.page.screenshot({ path: path.join(SCREENSHOTS, '4-authenticate-card.png') });
    await authenticate(shop.page, 'Complete');
    await shop.page.locator('#cards li[data-status="ACTIVE"]').getByText('•••• 3184').waitFor();

    const id = await buy(shop.page, 'Hoodie');
    await authenticate(shop.page, 'Complete');
    await shop.page.locator(`#purchases tr[data-purchase="${id}"][data-status="PAID"]`).waitFor();
    expect(await purchaseRow(shop.page, id).textContent()).toContain('Paid');
  });

  it('4000 0027 6000 3184: Fail at the payment → the purchase FAILED, with the reason in its row', async () => {
    await savedAlwaysAuthenticatingCard();
    const id = await buy(shop.page, 'Paygraph mug');
    await authenticate(shop.page, 'Fail');
    await shop.page.locator(`#purchases tr[data-purchase="${id}"][data-status="FAILED"]`).waitFor();
    expect(await purchaseRow(shop.page, id).textContent()).toMatch(/failed authentication/i);
    expect(await shop.page.locator('#buy-message').textContent()).toMatch(/authenticat/i);
  });

  it('4000 0000 0000 0002 is refused when saved, with the message beside the card field', async () => {
    await signUp(shop.page);
    await addCard(shop.page, CARDS.declined);
    await shop.page.locator('#cards li[data-status="REJECTED"]').waitFor();
    await expect.poll(() => shop.page.locator('#card-message').textContent()).toBe('Your card was declined.');
    await shop.page.screenshot({ path: path.join(SCREENSHOTS, '5-card-refused.png') });
  });
});
