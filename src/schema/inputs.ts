import { z } from 'zod';

/** Input rules shared by several fields, so each limit is written once. */
export const email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('Malformed email address'))
  .transform((v) => v.toLowerCase());
export const password = z.string().min(8, 'Password must have at least 8 characters').max(200);
export const name = z
  .string()
  .trim()
  .min(1, 'Name must not be empty')
  .max(100, 'Name must have at most 100 characters');
export const id = z.string().min(1).max(64);
export const stripeCustomerId = z.string().regex(/^cus_[A-Za-z0-9]{1,250}$/, 'Not a Stripe customer id');
export const stripeChargeId = z.string().regex(/^(ch|py)_[A-Za-z0-9]{1,250}$/, 'Not a Stripe charge id');
export const failureCode = z.string().max(100);
export const failureMessage = z.string().max(1000);
export const signinPassword = z.string().max(200);
export const stripePaymentIntentId = z.string().regex(/^pi_[A-Za-z0-9]{1,250}$/, 'Not a Stripe PaymentIntent id');
export const stripePaymentMethodId = z.string().regex(/^pm_[A-Za-z0-9_]{1,250}$/, 'Not a Stripe PaymentMethod id');
export const stripeSetupIntentId = z.string().regex(/^seti_[A-Za-z0-9]{1,250}$/, 'Not a Stripe SetupIntent id');
export const stripeRefundId = z.string().regex(/^(re|pyr)_[A-Za-z0-9]{1,250}$/, 'Not a Stripe refund id');
export const clientSecret = z
  .string()
  .regex(/^(pi|seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9_-]{1,250}$/, 'Not a Stripe client secret');
