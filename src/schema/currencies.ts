import { z } from 'zod';

/**
 * The ISO 4217 codes Stripe accepts for card payments (its "Supported currencies" page, 2026),
 * lower case as Stripe writes them. Anything else would only fail later, at the charge.
 */
export const STRIPE_CURRENCIES = new Set(
  (
    'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf ' +
    'chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf ' +
    'idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop ' +
    'mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd ' +
    'scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof ' +
    'xpf yer zar zmw'
  ).split(' '),
);

/** Case-insensitive on input, stored lower case. */
export const currency = z
  .string()
  .transform((value) => value.toLowerCase())
  .refine(
    (value) => STRIPE_CURRENCIES.has(value),
    'Currency must be an ISO 4217 code Stripe supports, such as usd or eur',
  );
