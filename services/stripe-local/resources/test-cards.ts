import { createHash } from 'node:crypto';
import type { Decline } from '../errors.js';

/** When Stripe refuses a test card: when it is saved (attached, set up) and on every charge, or only when charged. */
export type DeclineTiming = 'attach' | 'charge';

/** What a test card does, per Stripe's testing page (docs.stripe.com/testing). */
export interface TestCard {
  /** The suffix of `tok_<name>` and `pm_card_<name>`, as docs.stripe.com/testing spells it. */
  name: string;
  /** Other suffixes that name the same card: older spellings Stripe still accepts and this project used. */
  also?: string[];
  /** Radar's verdict (docs.stripe.com/radar/testing); unset: `normal`. `blocked`: by Radar's default rules. */
  risk?: { level: 'elevated' | 'highest'; score: number; blocked?: boolean };
  number: string;
  brand: 'American Express' | 'Diners Club' | 'Discover' | 'JCB' | 'MasterCard' | 'UnionPay' | 'Visa';
  network: string;
  funding: 'credit' | 'debit' | 'prepaid';
  last4: string;
  fingerprint: string;
  decline?: Decline & { when: DeclineTiming };
  /** `always`: 3-D Secure on every payment, off-session too; `on_setup`: once when saved for off-session use. */
  authentication?: 'always' | 'on_setup';
  /** `delayed`: a payment stays `processing` until the test-helper `settle` control says how it ended. */
  settlement?: 'delayed';
  /** The dispute the cardholder opens right after a payment succeeds: its `reason` (`inquiry`: an inquiry, not a chargeback). */
  dispute?: 'fraudulent' | 'product_not_received' | 'inquiry';
  /** The issuing country (docs/testing#international-cards); unset: US. */
  country?: string;
  /** Checks that fail when the card is saved (docs/testing#cvc-and-address-checks); it is saved all the same. */
  failedChecks?: ('cvc_check' | 'address_line1_check' | 'address_postal_code_check')[];
  /** What a refund of a payment with it does: stays `pending`, or `succeeded` and later `failed` (the `settle` control says when). */
  refund?: 'pending' | 'fails';
}

const declined = (
  decline_code: string,
  message = 'Your card was declined.',
  when: DeclineTiming = 'attach',
  code = 'card_declined',
) => ({ code, decline_code, message, when });

const BRANDS: Record<string, [TestCard['brand'], string]> = {
  '4': ['Visa', 'visa'],
  '5': ['MasterCard', 'mastercard'],
  '2': ['MasterCard', 'mastercard'],
  '34': ['American Express', 'amex'],
  '37': ['American Express', 'amex'],
  '6011': ['Discover', 'discover'],
  '30': ['Diners Club', 'diners'],
  '35': ['JCB', 'jcb'],
  '62': ['UnionPay', 'unionpay'],
};

function card(name: string, number: string, extra: Partial<TestCard> = {}): TestCard {
  const prefix = Object.keys(BRANDS)
    .sort((a, b) => b.length - a.length)
    .find((start) => number.startsWith(start))!;
  const [brand, network] = BRANDS[prefix]!;
  const fingerprint = createHash('sha256')
    .update(number)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16);
  return { name, number, brand, network, funding: 'credit', last4: number.slice(-4), fingerprint, ...extra };
}

const CARDS: TestCard[] = [
  card('visa', '4242424242424242'),
  card('visa_debit', '4000056655665556', { funding: 'debit' }),
  card('mastercard', '5555555555554444'),
  card('mastercard_debit', '5200828282828210', { funding: 'debit' }),
  card('mastercard_prepaid', '5105105105105100', { funding: 'prepaid' }),
  card('amex', '378282246310005'),
  card('discover', '6011111111111117'),
  card('diners', '3056930009020004'),
  card('jcb', '3566002020360505'),
  card('unionpay', '6200000000000005'),
  card('visa_chargeDeclined', '4000000000000002', { decline: declined('generic_decline'), also: ['chargeDeclined'] }),
  card('visa_chargeDeclinedInsufficientFunds', '4000000000009995', {
    decline: declined('insufficient_funds', 'Your card has insufficient funds.'),
    also: ['chargeDeclinedInsufficientFunds'],
  }),
  card('visa_chargeDeclinedLostCard', '4000000000009987', {
    decline: declined('lost_card'),
    also: ['chargeDeclinedLostCard'],
  }),
  card('visa_chargeDeclinedStolenCard', '4000000000009979', {
    decline: declined('stolen_card'),
    also: ['chargeDeclinedStolenCard'],
  }),
  card('visa_chargeDeclinedExpiredCard', '4000000000000069', {
    decline: declined('expired_card', 'Your card has expired.', 'attach', 'expired_card'),
    also: ['chargeDeclinedExpiredCard'],
  }),
  card('visa_chargeDeclinedIncorrectCvc', '4000000000000127', {
    decline: declined('incorrect_cvc', "Your card's security code is incorrect.", 'attach', 'incorrect_cvc'),
    also: ['chargeDeclinedIncorrectCvc'],
  }),
  card('visa_chargeDeclinedProcessingError', '4000000000000119', {
    decline: declined(
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
      'charge',
      'processing_error',
    ),
    also: ['chargeDeclinedProcessingError'],
  }),
  card('visa_chargeDeclinedVelocityLimitExceeded', '4000000000006975', {
    decline: declined(
      'card_velocity_exceeded',
      'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
    ),
  }),
  // Radar's always-blocked card: blocked before the bank sees it, the decline a blocked payment gets.
  card('radarBlock', '4100000000000019', {
    decline: declined('fraudulent', 'Your card was declined.', 'charge'),
    risk: { level: 'highest', score: 95, blocked: true },
    also: ['chargeDeclinedFraudulent'],
  }),
  // "Could be blocked depending on your rules": Radar's default rules block the highest risk level.
  card('riskLevelHighest', '4000000000004954', {
    decline: declined('fraudulent', 'Your card was declined.', 'charge'),
    risk: { level: 'highest', score: 85, blocked: true },
  }),
  card('chargeCustomerFail', '4000000000000341', {
    decline: declined('generic_decline', 'Your card was declined.', 'charge'),
  }),
  card('riskLevelElevated', '4000000000009235', { risk: { level: 'elevated', score: 75 } }),
  card('createDispute', '4000000000000259', { dispute: 'fraudulent' }),
  card('createDisputeProductNotReceived', '4000000000002685', { dispute: 'product_not_received' }),
  card('createDisputeInquiry', '4000000000001976', { dispute: 'inquiry' }),
  // docs/testing#cvc-and-address-checks: saved and paid with, the failed check reported.
  card('cvcCheckFail', '4000000000000101', { failedChecks: ['cvc_check'] }),
  card('avsZipFail', '4000000000000036', { failedChecks: ['address_postal_code_check'] }),
  card('avsLine1Fail', '4000000000000028', { failedChecks: ['address_line1_check'] }),
  card('avsFail', '4000000000000010', { failedChecks: ['address_line1_check', 'address_postal_code_check'] }),
  // docs/testing#international-cards: Visa cards of other countries.
  card('br', '4000000760000002', { country: 'BR' }),
  card('ca', '4000001240000000', { country: 'CA' }),
  card('mx', '4000004840008001', { country: 'MX' }),
  card('gb', '4000008260000000', { country: 'GB' }),
  card('de', '4000002760000016', { country: 'DE' }),
  card('authenticationRequired', '4000002760003184', { authentication: 'always' }),
  card('authenticationRequiredOnSetup', '4000002500003155', { authentication: 'on_setup' }),
  card('threeDSecure2Required', '4000000000003220', { authentication: 'always' }),
  card('threeDSecureRequired', '4000000000003063', { authentication: 'always' }),
  // 3-D Secure supported, not required: pays as any card.
  card('threeDSecureOptional', '4000000000003055'),
  // Funds go straight to the available balance; balances are not emulated, so it pays as any card.
  card('bypassPending', '4000000000000077'),
  // The emulator's own, not one of Stripe's cards: a payment that settles later, as Stripe's delayed
  // payment methods do, so `processing` can be tested (settled with POST .../payment_intents/:id/settle).
  card('delayedSettlement', '4000000000001000', { settlement: 'delayed' }),
  // Stripe's refund test cards: "some time later" is when POST .../refunds/:id/settle says.
  card('pendingRefund', '4000000000007726', { refund: 'pending' }),
  card('refundFail', '4000000000005126', { refund: 'fails' }),
];

const byName = new Map(CARDS.flatMap((entry) => [entry.name, ...(entry.also ?? [])].map((name) => [name, entry])));
const byNumber = new Map(CARDS.map((entry) => [entry.number, entry]));

export const testCards: readonly TestCard[] = CARDS;

/** `tok_visa` → the Visa test card; a token Stripe does not document → undefined. */
export const cardForToken = (token: string) => (token.startsWith('tok_') ? byName.get(token.slice(4)) : undefined);
/** `pm_card_visa` → the Visa test card. */
export const cardForPaymentMethod = (id: string) => (id.startsWith('pm_card_') ? byName.get(id.slice(8)) : undefined);
export const cardForNumber = (number: string) => byNumber.get(number.replace(/[\s-]/g, ''));

/** What Stripe answers for a card number it cannot use (4242424242424241 is docs/testing's). */
export const INCORRECT_NUMBER: Decline = { code: 'incorrect_number', message: 'Your card number is incorrect.' };
export const AUTHENTICATION_REQUIRED: Decline = {
  code: 'authentication_required',
  decline_code: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
};

/** A card's `checks` as a PaymentMethod and a charge report them: the CVC passes unless the card says otherwise. */
export function cardChecks(
  card: TestCard,
): Record<'address_line1_check' | 'address_postal_code_check' | 'cvc_check', string | null> {
  const failed = new Set(card.failedChecks);
  return {
    address_line1_check: failed.has('address_line1_check') ? 'fail' : null,
    address_postal_code_check: failed.has('address_postal_code_check') ? 'fail' : null,
    cvc_check: failed.has('cvc_check') ? 'fail' : 'pass',
  };
}
