import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './support/harness.js';

// docs/testing: CVC and address checks, international cards and disputes, each by the id the page spells.
const PAY = { amount: 2_500, currency: 'usd', confirm: true, return_url: 'https://shop.example/done' } as const;

describe('stripe-local: card checks, countries and dispute test cards (docs/testing)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.stop());

  it.each([
    ['cvcCheckFail', { address_line1_check: null, address_postal_code_check: null, cvc_check: 'fail' }],
    ['avsZipFail', { address_line1_check: null, address_postal_code_check: 'fail', cvc_check: 'pass' }],
    ['avsLine1Fail', { address_line1_check: 'fail', address_postal_code_check: null, cvc_check: 'pass' }],
    ['avsFail', { address_line1_check: 'fail', address_postal_code_check: 'fail', cvc_check: 'pass' }],
    ['visa', { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' }],
  ])('pm_card_%s is saved and pays, its checks reported on the card and the charge', async (name, checks) => {
    const stripe = emulator.stripe();
    const customer = await stripe.customers.create();
    const saved = await stripe.paymentMethods.attach(`pm_card_${name}`, { customer: customer.id });
    expect(saved.card?.checks).toEqual(checks);
    const paid = await stripe.paymentIntents.create({ ...PAY, customer: customer.id, payment_method: saved.id });
    expect(paid.status).toBe('succeeded');
    const charge = await stripe.charges.retrieve(paid.latest_charge as string);
    expect(charge.payment_method_details?.card?.checks).toEqual(checks);
    const source = await stripe.customers.createSource(customer.id, { source: `tok_${name}` });
    expect(source).toMatchObject({
      cvc_check: checks.cvc_check,
      address_line1_check: checks.address_line1_check,
      address_zip_check: checks.address_postal_code_check,
    });
  });

  it.each([
    ['br', 'BR'],
    ['ca', 'CA'],
    ['mx', 'MX'],
    ['gb', 'GB'],
    ['de', 'DE'],
    ['visa', 'US'],
  ])('pm_card_%s is a Visa card of %s, on the PaymentMethod and the charge', async (name, country) => {
    const stripe = emulator.stripe();
    const paid = await stripe.paymentIntents.create({ ...PAY, payment_method: `pm_card_${name}` });
    const method = await stripe.paymentMethods.retrieve(paid.payment_method as string);
    expect(method.card).toMatchObject({ brand: 'visa', country });
    const charge = await stripe.charges.retrieve(paid.latest_charge as string);
    expect(charge.payment_method_details?.card?.country).toBe(country);
  });

  it.each([
    ['createDispute', { reason: 'fraudulent', status: 'needs_response' }, 'lost'],
    ['createDisputeProductNotReceived', { reason: 'product_not_received', status: 'needs_response' }, 'lost'],
    ['createDisputeInquiry', { reason: 'general', status: 'warning_needs_response' }, 'warning_closed'],
  ])('pm_card_%s: the payment succeeds, then its dispute opens as documented', async (name, opened, closed) => {
    const stripe = emulator.stripe();
    const paid = await stripe.paymentIntents.create({ ...PAY, payment_method: `pm_card_${name}` });
    expect(paid.status).toBe('succeeded');
    const [dispute] = (await stripe.disputes.list({ payment_intent: paid.id })).data;
    expect(dispute).toMatchObject({ ...opened, charge: paid.latest_charge, amount: 2_500 });
    expect((await stripe.disputes.close(dispute!.id)).status).toBe(closed);
  });
});
