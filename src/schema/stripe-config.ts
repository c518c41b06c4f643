import { STRIPES_OWN_JS } from '../config.js';
import { builder } from './builder.js';

/** What a browser needs to load Stripe.js: public by nature (a publishable key is made to be shown). */
export interface StripeJsConfig {
  publishableKey: string | null;
  stripeJsUrl: string;
}

const StripeMode = builder.enumType('StripeMode', { values: ['LIVE', 'TEST'] as const });

const StripeConfig = builder.objectRef<StripeJsConfig>('StripeConfig').implement({
  description: "What a storefront's Stripe.js is created with: Stripe(publishableKey), loaded from stripeJsUrl.",
  fields: (t) => ({
    publishableKey: t.exposeString('publishableKey', {
      nullable: true,
      description: 'STRIPE_PUBLISHABLE_KEY (pk_test_... or pk_live_...); null when not set: cards cannot be added.',
    }),
    stripeJsUrl: t.exposeString('stripeJsUrl', {
      description:
        "STRIPE_JS_URL: Stripe's own script (https://js.stripe.com/v3/), or the local Stripe's under npm start.",
    }),
    mode: t.field({
      type: StripeMode,
      description: 'LIVE for a pk_live_ key: real cards are charged. TEST otherwise: only test cards work.',
      resolve: (config) => (config.publishableKey?.startsWith('pk_live_') ? 'LIVE' : 'TEST'),
    }),
  }),
});

builder.queryFields((t) => ({
  stripeConfig: t.field({
    type: StripeConfig,
    description:
      'The publishable key and the Stripe.js a browser loads to turn a card into a pm_ or tok_. Open to anyone.',
    resolve: (_root, _args, ctx) => ctx.stripeJs ?? { publishableKey: null, stripeJsUrl: STRIPES_OWN_JS },
  }),
}));
