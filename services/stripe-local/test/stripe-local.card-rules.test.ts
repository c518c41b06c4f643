import { describe, expect, it } from 'vitest';
import { brandOf, cardState, formatExpiry, formatNumber, luhn } from '../stripejs/browser/card-rules.js';

// The card field's rules, as Stripe.js's card Element applies them while the cardholder types.
const now = new Date(2026, 11, 7);
const fields = { number: '4242 4242 4242 4242', expiry: '12 / 34', cvc: '123', postalCode: '42424' };

describe("stripe-local's card field: brands, Luhn and Stripe.js's messages", () => {
  it('detects the brand from the first digits', () => {
    const brands = Object.fromEntries(
      ['4242', '5555', '2223', '3782', '6011', '3056', '3566', '6200', '9999'].map((digits) => [
        digits,
        brandOf(digits).brand,
      ]),
    );
    expect(brands).toEqual({
      4242: 'visa',
      5555: 'mastercard',
      2223: 'mastercard',
      3782: 'amex',
      6011: 'discover',
      3056: 'diners',
      3566: 'jcb',
      6200: 'unionpay',
      9999: 'unknown',
    });
  });

  it('formats as typed and checks Luhn', () => {
    expect(formatNumber('378282246310005')).toBe('3782 822463 10005');
    expect(formatNumber('42424242424242424242')).toBe('4242 4242 4242 4242');
    expect(formatExpiry('4')).toBe('04');
    expect(formatExpiry('1234')).toBe('12 / 34');
    expect([luhn('4242424242424242'), luhn('4242424242424241')]).toEqual([true, false]);
  });

  it('a complete card has no error; a short field is an error only once left', () => {
    expect(cardState(fields, now, new Set())).toEqual({ brand: 'visa', complete: true, empty: false });
    const short = { ...fields, number: '4242 4242' };
    expect(cardState(short, now, new Set()).error).toBeUndefined();
    expect(cardState(short, now, new Set(['number'])).error).toEqual({
      type: 'validation_error',
      code: 'incomplete_number',
      message: 'Your card number is incomplete.',
    });
    expect(cardState({ ...fields, postalCode: '' }, now, new Set(['postalCode'])).error?.message).toBe(
      'Your postal code is incomplete.',
    );
    expect(cardState({ ...fields, postalCode: null }, now, new Set()).complete).toBe(true);
  });

  it("an expiry in the past is Stripe.js's error as soon as it is typed", () => {
    const messages = ['11 / 26', '12 / 25', '13 / 30'].map(
      (expiry) => cardState({ ...fields, expiry }, now, new Set()).error?.message,
    );
    expect(messages).toEqual([
      "Your card's expiration date is in the past.",
      "Your card's expiration year is in the past.",
      "Your card's expiration date is invalid.",
    ]);
  });
});
