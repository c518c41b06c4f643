import { describe, expect, it } from 'vitest';
import type { Purchase } from '../generated/prisma/client.js';
import { waitForCardAuthentication } from './awaiting-authentication.js';

const HOUR = 3_600_000;
const madeAt = new Date('2026-12-07T10:00:00Z');
const purchase = (fields: Partial<Purchase> = {}) =>
  ({ isPaid: false, status: 'PENDING', createdAt: madeAt, ...fields }) as Purchase;

describe("waiting for the card's authentication: until the deadline, then abandoned", () => {
  it('an unsettled purchase waits until it has waited the timeout, then fails card_authentication_abandoned', () => {
    const now = madeAt.getTime() + 23 * HOUR;
    expect(waitForCardAuthentication(purchase(), 24 * HOUR, now)).toEqual({ waitingFor: 'CARD_AUTHENTICATION' });
    expect(waitForCardAuthentication(purchase(), 24 * HOUR, madeAt.getTime() + 24 * HOUR)).toMatchObject({
      status: 'FAILED',
      waitingFor: null,
      failureCode: 'card_authentication_abandoned',
      failureMessage: expect.stringContaining('not finished in time'),
    });
  });

  it('a purchase already settled, or paid, is left as it is', () => {
    for (const settled of [purchase({ status: 'FAILED' }), purchase({ status: 'PAID', isPaid: true })])
      expect(waitForCardAuthentication(settled, 24 * HOUR, madeAt.getTime() + 48 * HOUR)).toEqual({});
  });
});
