import { describe, expect, it } from 'vitest';
import type { Purchase } from '../generated/prisma/client.js';
import { settle } from './write-back.js';

const purchase = (fields: Partial<Purchase> = {}): Purchase => ({
  id: 'p1',
  description: 'Shoes',
  amount: 5_000,
  currency: 'usd',
  isPaid: false,
  status: 'PENDING',
  stripeChargeId: null,
  stripePaymentIntentId: null,
  clientSecret: null,
  amountRefunded: 0,
  refundFailureReportedAt: null,
  disputeStatus: null,
  livemode: false,
  failureCode: null,
  failureMessage: null,
  userId: 'u1',
  createdAt: new Date(0),
  updatedAt: new Date(0),
  paidAt: null,
  waitingFor: null,
  ...fields,
});
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  return 'no error';
};

describe('write-back: what charge-customer may settle', () => {
  it('PAID records the PaymentIntent and charge; a paid purchase stays paid with the one charge it was paid with', () => {
    expect(settle(purchase(), { status: 'PAID', stripePaymentIntentId: 'pi_1', stripeChargeId: 'ch_1' })).toMatchObject(
      { isPaid: true, status: 'PAID', stripePaymentIntentId: 'pi_1', stripeChargeId: 'ch_1' },
    );
    const paid = purchase({
      isPaid: true,
      status: 'PAID',
      stripePaymentIntentId: 'pi_1',
      stripeChargeId: 'ch_1',
      paidAt: new Date(1),
    });
    expect(codeOf(() => settle(paid, { status: 'FAILED', failureCode: 'card_declined' }))).toBe('CONFLICT');
    expect(codeOf(() => settle(paid, { status: 'PAID', stripePaymentIntentId: 'pi_2' }))).toBe('CONFLICT');
    expect(settle(paid, { status: 'PAID', stripePaymentIntentId: 'pi_1', stripeChargeId: 'ch_1' })).toEqual({});
  });

  it("refunds and disputes are Stripe's to report, and isPaid must agree with the status", () => {
    expect(codeOf(() => settle(purchase(), { status: 'REFUNDED' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => settle(purchase(), { status: 'FAILED', isPaid: true }))).toBe('BAD_USER_INPUT');
  });
});
