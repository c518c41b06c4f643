/// <reference lib="dom" />
import { callApi, type ApiAnswer } from './api.js';
import { CardElement, listenToFrames, type CardElementOptions } from './card-element.js';
import { IntegrationError } from './integration-error.js';
import { confirmCardIntent, handleNextAction, retrieveIntent, type ApiContext } from './intents.js';

/**
 * `window.Stripe` for the subset of Stripe.js (https://docs.stripe.com/js) a card checkout uses, talking
 * to the emulator that served this script: the same page code runs on js.stripe.com's script unchanged.
 */
const origin = new URL((document.currentScript as HTMLScriptElement | null)?.src ?? location.href).origin;
const elements = new Set<CardElement>();
listenToFrames(origin, elements);

interface PaymentMethodData {
  type?: string;
  card?: CardElement | { token?: string };
  billing_details?: Record<string, unknown>;
  metadata?: Record<string, string>;
}
interface ConfirmData {
  payment_method?: string | PaymentMethodData;
  return_url?: string;
  setup_future_usage?: string;
  receipt_email?: string;
  payment_method_options?: Record<string, unknown>;
}

const result = (answer: ApiAnswer, name: 'paymentMethod' | 'token') =>
  answer.status === 200 ? { [name]: answer.body } : { error: answer.body.error };

function Stripe(key: unknown, options: { apiVersion?: string; stripeAccount?: string; locale?: string } = {}) {
  if (typeof key !== 'string' || key === '')
    throw new IntegrationError(`Invalid value for Stripe(): apiKey should be a string. You specified: ${String(key)}.`);
  if (key.startsWith('sk_'))
    throw new IntegrationError(
      'You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.',
    );
  const context: ApiContext = {
    origin,
    key,
    headers: options.apiVersion ? { 'stripe-version': options.apiVersion } : {},
  };

  async function createPaymentMethod(
    data: PaymentMethodData | string,
    element?: CardElement,
    extra?: PaymentMethodData,
  ) {
    const params = typeof data === 'string' ? { ...extra, type: data, card: element } : data;
    if (params.type !== 'card')
      throw new IntegrationError(
        `stripe-local's Stripe.js makes card PaymentMethods only, not ${String(params.type)}.`,
      );
    const { card, ...rest } = params;
    if (card instanceof CardElement) return result(await card.create('payment_method', rest), 'paymentMethod');
    if (card && typeof card.token === 'string') {
      const answer = await callApi(
        origin,
        key as string,
        'POST',
        '/v1/payment_methods',
        { ...rest, card },
        context.headers,
      );
      return result(answer, 'paymentMethod');
    }
    throw new IntegrationError('Invalid value for createPaymentMethod: card should be a card Element or { token }.');
  }

  /** A confirm's payment_method: a `pm_` id as given, or one the card frame makes first. */
  async function paymentMethodOf(data: ConfirmData | undefined) {
    const given = data?.payment_method;
    if (given === undefined || typeof given === 'string') return { id: given };
    const made = await createPaymentMethod({ type: 'card', ...given });
    return 'error' in made ? { error: made.error } : { id: (made.paymentMethod as { id: string }).id };
  }

  async function confirm(
    kind: 'payment_intent' | 'setup_intent',
    method: string,
    clientSecret: string,
    data?: ConfirmData,
    handleOptions?: { handleActions?: boolean },
  ) {
    const paymentMethod = await paymentMethodOf(data);
    if ('error' in paymentMethod) return { error: paymentMethod.error };
    // The confirm parameters the emulator knows (Stripe.js's `shipping`, for one, it does not); a SetupIntent takes fewer.
    const { return_url, setup_future_usage, receipt_email, payment_method_options } = data ?? {};
    const extra =
      kind === 'setup_intent'
        ? { return_url }
        : { return_url, setup_future_usage, receipt_email, payment_method_options };
    return confirmCardIntent(
      context,
      kind,
      clientSecret,
      paymentMethod.id,
      extra,
      handleOptions?.handleActions !== false,
      method,
    );
  }

  return {
    elements(_options: object = {}) {
      const own = new Set<CardElement>();
      return {
        create(type: string, elementOptions: CardElementOptions = {}) {
          if (type !== 'card')
            throw new IntegrationError(`stripe-local's Stripe.js has the 'card' Element only, not '${type}'.`);
          if ([...own].some((element) => !element.destroyed))
            throw new IntegrationError('Can only create one Element of type card.');
          const element = new CardElement({ origin, key: key as string }, elementOptions, (gone) => {
            own.delete(gone);
            elements.delete(gone);
          });
          own.add(element);
          elements.add(element);
          return element;
        },
        getElement: (type: string) =>
          type === 'card' ? ([...own].find((element) => !element.destroyed) ?? null) : null,
      };
    },
    createPaymentMethod,
    createToken(element: CardElement, data: Record<string, unknown> = {}) {
      if (!(element instanceof CardElement))
        throw new IntegrationError('Invalid value for createToken: element should be a card Element.');
      return element.create('token', data).then((answer) => result(answer, 'token'));
    },
    confirmCardPayment: (clientSecret: string, data?: ConfirmData, handleOptions?: { handleActions?: boolean }) =>
      confirm('payment_intent', 'confirmCardPayment', clientSecret, data, handleOptions),
    confirmCardSetup: (clientSecret: string, data?: ConfirmData, handleOptions?: { handleActions?: boolean }) =>
      confirm('setup_intent', 'confirmCardSetup', clientSecret, data, handleOptions),
    handleNextAction: (options: { clientSecret: string }) =>
      handleNextAction(context, options?.clientSecret, 'handleNextAction'),
    handleCardAction: (clientSecret: string) => handleNextAction(context, clientSecret, 'handleCardAction'),
    retrievePaymentIntent: (clientSecret: string) =>
      retrieveIntent(context, 'payment_intent', clientSecret, 'retrievePaymentIntent'),
    retrieveSetupIntent: (clientSecret: string) =>
      retrieveIntent(context, 'setup_intent', clientSecret, 'retrieveSetupIntent'),
  };
}

(window as unknown as { Stripe: typeof Stripe }).Stripe = Object.assign(Stripe, { version: 3 });
