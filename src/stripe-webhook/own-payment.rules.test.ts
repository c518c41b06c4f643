import { describe, expect, it } from 'vitest';
import { paymentIntentShape } from './event-shape.js';
import { accountMismatch, paymentIntentMismatch } from './own-payment.js';

const purchase = { amount: 5_000, currency: 'usd', livemode: false, stripePaymentIntentId: null, stripeChargeId: null };
const intent = (fields: Record<string, unknown> = {}) =>
  paymentIntentShape.parse({
    id: 'pi_1',
    object: 'payment_intent',
    amount: 5_000,
    amount_received: 5_000,
    currency: 'USD',
    customer: 'cus_owner',
    metadata: {},
    ...fields,
  });

describe("own-payment: what makes a PaymentIntent the purchase's own", () => {
  it("before the write-back: the amount, currency (any case) and the owner's customer must all match", () => {
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent(), true)).toBeNull();
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent({ amount: 50 }), true)).toMatch(/is of 50/);
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent({ currency: 'jpy' }), true)).toMatch(/in jpy/);
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent({ customer: { id: 'cus_other' } }), true)).toMatch(
      /customer cus_other/,
    );
    expect(paymentIntentMismatch(purchase, null, intent(), true)).toMatch(/none yet/);
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent({ amount_received: 10 }), true)).toMatch(/received 10/);
    // amount_received counts only once it has succeeded.
    expect(paymentIntentMismatch(purchase, 'cus_owner', intent({ amount_received: 0 }), false)).toBeNull();
  });

  it('after it: only the recorded PaymentIntent, whoever its customer is now', () => {
    const recorded = { ...purchase, stripePaymentIntentId: 'pi_1' };
    expect(paymentIntentMismatch(recorded, null, intent({ customer: 'cus_since_forgotten' }), true)).toBeNull();
    expect(paymentIntentMismatch(recorded, null, intent({ id: 'pi_2' }), true)).toMatch(
      /not the purchase's own \(pi_1\)/,
    );
  });

  it("accounts: the platform's events unless a connected account is configured, then only its own", () => {
    expect(accountMismatch(undefined, undefined)).toBeNull();
    expect(accountMismatch('acct_1', undefined)).toMatch(/connected account acct_1/);
    expect(accountMismatch('acct_1', 'acct_1')).toBeNull();
    expect(accountMismatch(null, 'acct_1')).toMatch(/platform account/);
  });
});
