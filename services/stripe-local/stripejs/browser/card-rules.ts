/// <reference lib="dom" />
import type { ElementError } from '../protocol.js';

/** Stripe.js's brand names, detected from the number's first digits. */
const BRANDS: { brand: string; pattern: RegExp; lengths: number[]; cvc: number; gaps: number[] }[] = [
  { brand: 'amex', pattern: /^3[47]/, lengths: [15], cvc: 4, gaps: [4, 10] },
  { brand: 'diners', pattern: /^3(0[0-5]|[689])/, lengths: [14, 16], cvc: 3, gaps: [4, 10] },
  { brand: 'jcb', pattern: /^35/, lengths: [16], cvc: 3, gaps: [4, 8, 12] },
  { brand: 'unionpay', pattern: /^62/, lengths: [16, 17, 18, 19], cvc: 3, gaps: [4, 8, 12] },
  { brand: 'discover', pattern: /^6(011|4[4-9]|5)/, lengths: [16, 19], cvc: 3, gaps: [4, 8, 12] },
  { brand: 'mastercard', pattern: /^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/, lengths: [16], cvc: 3, gaps: [4, 8, 12] },
  { brand: 'visa', pattern: /^4/, lengths: [16], cvc: 3, gaps: [4, 8, 12] },
];
const UNKNOWN = { brand: 'unknown', pattern: /$/, lengths: [16], cvc: 3, gaps: [4, 8, 12] };

export const brandOf = (digits: string) => BRANDS.find((entry) => entry.pattern.test(digits)) ?? UNKNOWN;

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}

export const digitsOf = (value: string) => value.replace(/\D/g, '');

/** "4242 4242 4242 4242", or amex's "3782 822463 10005", as the field shows it. */
export function formatNumber(value: string): string {
  const { lengths, gaps } = brandOf(digitsOf(value));
  const digits = digitsOf(value).slice(0, Math.max(...lengths));
  let shown = '';
  for (let index = 0; index < digits.length; index++) shown += (gaps.includes(index) ? ' ' : '') + digits[index];
  return shown;
}

/** "MM / YY" as typed: a leading 2-9 is a month of its own. */
export function formatExpiry(value: string): string {
  let digits = digitsOf(value).slice(0, 4);
  if (/^[2-9]/.test(digits)) digits = `0${digits}`.slice(0, 4);
  return digits.length > 2 || value.includes('/') ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
}

// Stripe.js's own messages for its card Element (its `validation_error` codes).
const MESSAGES: Record<string, string> = {
  incomplete_number: 'Your card number is incomplete.',
  invalid_number: 'Your card number is invalid.',
  incomplete_expiry: "Your card's expiration date is incomplete.",
  invalid_expiry_month: "Your card's expiration date is invalid.",
  invalid_expiry_month_past: "Your card's expiration date is in the past.",
  invalid_expiry_year_past: "Your card's expiration year is in the past.",
  incomplete_cvc: "Your card's security code is incomplete.",
  incomplete_zip: 'Your postal code is incomplete.',
};
const error = (code: string): ElementError => ({ type: 'validation_error', code, message: MESSAGES[code]! });

export interface CardFields {
  number: string;
  expiry: string;
  cvc: string;
  postalCode: string | null;
}

/**
 * The first error of the card, in field order. While typing (`final` false) a field that is still short is
 * no error; on leaving it or submitting it is "incomplete", as Stripe.js reports.
 */
export function cardError(fields: CardFields, now: Date, final: (field: keyof CardFields) => boolean) {
  const digits = digitsOf(fields.number);
  const brand = brandOf(digits);
  const longest = Math.max(...brand.lengths);
  if (digits.length >= longest || (brand.lengths.includes(digits.length) && final('number'))) {
    if (!luhn(digits)) return error('invalid_number');
  } else if (final('number')) return error('incomplete_number');
  const expiry = digitsOf(fields.expiry);
  if (expiry.length === 4) {
    const month = Number(expiry.slice(0, 2));
    const year = 2000 + Number(expiry.slice(2));
    if (month < 1 || month > 12) return error('invalid_expiry_month');
    if (year < now.getFullYear()) return error('invalid_expiry_year_past');
    if (year === now.getFullYear() && month < now.getMonth() + 1) return error('invalid_expiry_month_past');
  } else if (final('expiry')) return error('incomplete_expiry');
  if (digitsOf(fields.cvc).length < brand.cvc && final('cvc')) return error('incomplete_cvc');
  if (fields.postalCode !== null && fields.postalCode.trim() === '' && final('postalCode'))
    return error('incomplete_zip');
  return undefined;
}

/** What the card field reports on every change (Stripe.js's `change` event of a card Element). */
export function cardState(fields: CardFields, now: Date, left: Set<keyof CardFields>) {
  const digits = digitsOf(fields.number);
  const complete = cardError(fields, now, () => true) === undefined;
  const shown = cardError(fields, now, (field) => left.has(field));
  return {
    brand: brandOf(digits).brand,
    complete,
    empty: !digits && !digitsOf(fields.expiry) && !fields.cvc && !fields.postalCode,
    ...(shown && { error: shown }),
  };
}

/** The card as Stripe's API takes it: `card[number]`, `card[exp_month]`, `card[exp_year]`, `card[cvc]`. */
export function cardParams(fields: CardFields) {
  const expiry = digitsOf(fields.expiry);
  return {
    number: digitsOf(fields.number),
    exp_month: String(Number(expiry.slice(0, 2))),
    exp_year: `20${expiry.slice(2)}`,
    cvc: digitsOf(fields.cvc),
  };
}

/** A valid number as long as its brand's longest: the field moves on to the expiry. */
export function numberFilled(value: string): boolean {
  const digits = digitsOf(value);
  return digits.length === Math.max(...brandOf(digits).lengths) && luhn(digits);
}

export const cvcLength = (number: string) => brandOf(digitsOf(number)).cvc;
