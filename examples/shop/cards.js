// "Your cards": the list, and adding one. The card field is Stripe's; the page sends the API only the
// PaymentMethod id (pm_...) Stripe.js made, then follows the card until Stripe has saved it.
import { gql, watch } from './api.js';
import { h, say } from './dom.js';

const CARD_FIELDS = 'id brand last4 status failureMessage setupClientSecret';
const DETAILS_WAIT_MS = 10_000;
const SETTLED = new Set(['ACTIVE', 'REJECTED', 'DETACHED']);
// Stripe names brands in lower case (card.brand); people read them as printed on the card.
const BRANDS = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover', jcb: 'JCB' };
const cardName = (card) => `${BRANDS[card.brand] ?? card.brand ?? 'Card'} •••• ${card.last4 ?? '····'}`;
const STATUS_TEXT = {
  PENDING: 'Being saved…',
  REQUIRES_ACTION: 'Waiting for your bank',
  ACTIVE: 'Ready',
  REJECTED: 'Refused',
  DETACHED: 'Removed',
};

export function renderCards(list, cards, onAuthenticate) {
  list.replaceChildren(
    ...(cards.length === 0 ? [h('li', { class: 'empty' }, 'No card yet: add one below.')] : []),
    ...cards.map((card) =>
      h(
        'li',
        { 'data-card': card.id, 'data-status': card.status },
        h('span', { class: 'brand' }, cardName(card)),
        h('span', { class: `status status-${card.status}` }, STATUS_TEXT[card.status] ?? card.status),
        card.failureMessage && h('span', { class: 'error' }, card.failureMessage),
        card.status === 'REQUIRES_ACTION' &&
          card.setupClientSecret &&
          h('button', { type: 'button', onclick: () => onAuthenticate(card) }, 'Authenticate your card'),
      ),
    ),
  );
}

/** Stripe's card field in `mount`; its own messages (an incomplete number, say) show in `message`. */
export function mountCardField(stripe, mount, message) {
  const card = stripe.elements().create('card', { hidePostalCode: true });
  card.mount(mount);
  card.on('change', (event) => say(message, event.error?.message ?? '', !!event.error));
  return card;
}

/**
 * Saves the card typed into `card` to the user: Stripe.js makes the PaymentMethod, createCardDetails
 * hands its id to Paygraph, and a bank that asks for 3-D Secure gets it through confirmCardSetup.
 * Resolves with `{ ok, message }`: what the user reads next to the card field.
 */
export async function addCard(stripe, card, userId, progress, onUpdate) {
  progress('Saving your card…');
  const { paymentMethod, error } = await stripe.createPaymentMethod({ type: 'card', card });
  if (error) return { ok: false, message: error.message };
  const { createCardDetails } = await gql(
    'mutation($token: String!, $user: ID!) { createCardDetails(cardToken: $token, userId: $user) { id } }',
    { token: paymentMethod.id, user: userId },
  );
  card.clear();
  return settle(stripe, createCardDetails.id, progress, onUpdate);
}

/**
 * Follows one card (cardDetailsUpdated) until it is saved or refused, authenticating it when the bank
 * asks; `onUpdate` hears of each state it passes through. Stripe's event may make the card ACTIVE a
 * moment before create-customer records its brand and last 4: the stream stays open a little for them.
 */
export function settle(stripe, cardId, progress, onUpdate = () => undefined) {
  return new Promise((resolve) => {
    let authenticating = false;
    const done = (result) => {
      stop();
      resolve(result);
    };
    const stop = watch(
      `subscription($id: ID!) { cardDetailsUpdated(id: $id) { ${CARD_FIELDS} } }`,
      { id: cardId },
      async ({ cardDetailsUpdated: card }) => {
        if (!card) return done({ ok: false, message: 'The card was removed.' });
        onUpdate(card);
        if (card.status === 'ACTIVE') {
          resolve({ ok: true, message: card.last4 ? `${cardName(card)} is ready.` : 'Your card is ready.' });
          return card.last4 ? stop() : setTimeout(stop, DETAILS_WAIT_MS);
        }
        if (SETTLED.has(card.status)) return done({ ok: false, message: card.failureMessage ?? 'Refused.' });
        if (card.status !== 'REQUIRES_ACTION' || !card.setupClientSecret || authenticating) return;
        authenticating = true;
        progress('Your bank asks you to authenticate this card…');
        const { error } = await stripe.confirmCardSetup(card.setupClientSecret);
        if (error) done({ ok: false, message: error.message });
        else progress('Authenticated: saving your card…');
      },
      (error) => done({ ok: false, message: error.message }),
    );
  });
}

export const loadCards = async () =>
  (await gql(`{ me { cardDetails(first: 20) { ${CARD_FIELDS} } } }`)).me.cardDetails.filter(
    (card) => card.status !== 'DETACHED',
  );
