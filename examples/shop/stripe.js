// Stripe.js, loaded from where the API says (Stripe's own script with a real key, as Stripe requires;
// the local Stripe's under npm start) and created with the API's publishable key. Card numbers are
// typed into Stripe's card field, an iframe of Stripe's origin: they never reach this page or the API.
import { gql } from './api.js';

let loading = null;

/** `{ stripe, mode }`: the Stripe object and TEST or LIVE. Loaded once. */
export function loadStripe() {
  loading ??= (async () => {
    const { stripeConfig } = await gql('{ stripeConfig { publishableKey stripeJsUrl mode } }');
    if (!stripeConfig.publishableKey)
      throw new Error('This shop has no Stripe publishable key (STRIPE_PUBLISHABLE_KEY): cards cannot be added.');
    if (!window.Stripe) {
      await new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = stripeConfig.stripeJsUrl;
        script.onload = resolve;
        script.onerror = () => reject(new Error('Stripe.js could not be loaded.'));
        document.head.append(script);
      });
    }
    return { stripe: window.Stripe(stripeConfig.publishableKey), mode: stripeConfig.mode };
  })();
  return loading;
}

/**
 * Finishes a purchase the bank wants authenticated (status REQUIRES_ACTION, with its clientSecret).
 * An intent waiting for the cardholder has its next action handled; one an off-session charge left
 * needing authentication (authentication_required) is confirmed again with the same card, on session.
 * Resolves with Stripe's error, or null once Stripe accepted; the purchase itself settles by webhook.
 */
export async function authenticatePayment(stripe, clientSecret) {
  const { paymentIntent, error } = await stripe.retrievePaymentIntent(clientSecret);
  if (error) return error;
  if (paymentIntent.status === 'requires_action')
    return (await stripe.handleNextAction({ clientSecret })).error ?? null;
  if (paymentIntent.status !== 'requires_payment_method' && paymentIntent.status !== 'requires_confirmation')
    return null;
  const card = paymentIntent.last_payment_error?.payment_method?.id ?? paymentIntent.payment_method ?? undefined;
  const paymentMethod = typeof card === 'string' ? card : card?.id;
  return (
    (await stripe.confirmCardPayment(clientSecret, paymentMethod ? { payment_method: paymentMethod } : {})).error ??
    null
  );
}
