import { invalidRequest } from './errors.js';

/** Currencies without a minor unit: amounts are whole units. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const MINIMUM: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  chf: 50,
  jpy: 50,
  dkk: 250,
  nok: 300,
  sek: 300,
  hkd: 400,
  mxn: 1000,
  sgd: 50,
  nzd: 50,
  pln: 200,
  czk: 1500,
  inr: 50,
  brl: 50,
};
const SUPPORTED = new Set([
  ...ZERO_DECIMAL,
  ...Object.keys(MINIMUM),
  'aed',
  'ars',
  'bgn',
  'cny',
  'cop',
  'egp',
  'huf',
  'idr',
  'ils',
  'isk',
  'kes',
  'myr',
  'ngn',
  'php',
  'ron',
  'sar',
  'thb',
  'try',
  'twd',
  'uah',
  'zar',
]);
const MAXIMUM = 99_999_999;

/** A currency Stripe accepts, lower-cased as Stripe answers it. */
export function checkCurrency(currency: string): string {
  const code = currency.toLowerCase();
  if (!SUPPORTED.has(code))
    throw invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...SUPPORTED].sort().join(', ')}`,
      { param: 'currency' },
    );
  return code;
}

/** An amount in the currency's smallest unit within Stripe's minimum (about $0.50) and maximum. */
export function checkAmount(amount: number, currency: string): number {
  const minimum = MINIMUM[currency] ?? (ZERO_DECIMAL.has(currency) ? 1 : 50);
  if (amount < minimum) {
    const shown = ZERO_DECIMAL.has(currency) ? String(minimum) : (minimum / 100).toFixed(2);
    throw invalidRequest(`Amount must be at least ${currency === 'usd' ? '$' : ''}${shown} ${currency}`, {
      param: 'amount',
      code: 'amount_too_small',
    });
  }
  if (amount > MAXIMUM)
    throw invalidRequest('Amount must be no more than $999,999.99', { param: 'amount', code: 'amount_too_large' });
  return amount;
}
