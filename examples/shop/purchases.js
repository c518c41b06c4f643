// "My purchases": each row follows its purchase live (purchaseUpdated) until it is settled, so PENDING
// turns PAID or FAILED without a reload. A payment the bank wants authenticated is finished here.
import { gql, watch } from './api.js';
import { h, money } from './dom.js';
import { authenticatePayment } from './stripe.js';

// waitingFor: CARD_AUTHENTICATION while the charge waits for the card's 3-D Secure (docs/callbacks.md).
export const PURCHASE_FIELDS =
  'id description amount currency status waitingFor failureMessage clientSecret amountRefunded createdAt refunds(first: 5) { id amount status reason }';
const UNSETTLED = new Set(['PENDING', 'PROCESSING', 'REQUIRES_ACTION']);
const STATUS_TEXT = {
  PENDING: 'Pending',
  PROCESSING: 'Processing',
  REQUIRES_ACTION: 'Needs authentication',
  PAID: 'Paid',
  FAILED: 'Failed',
  REFUNDED: 'Refunded',
  PARTIALLY_REFUNDED: 'Partly refunded',
  DISPUTED: 'Disputed',
};
// A browser opens about six connections to one origin; each followed purchase holds one.
const MAX_FOLLOWED = 4;

/** The table's rows, and the live streams behind them. `stripe()` resolves with Stripe.js when needed. */
export function purchaseTable(body, stripe, message) {
  const followed = new Map();
  const waiting = [];
  const authenticated = new Set();

  const details = (purchase) => {
    const refunds = purchase.refunds.map((refund) =>
      h(
        'span',
        { class: 'refund' },
        `Refund ${money(refund.amount, purchase.currency)} ${refund.status.toLowerCase()}${refund.reason ? ` (${refund.reason})` : ''}`,
      ),
    );
    if (purchase.waitingFor === 'CARD_AUTHENTICATION')
      return [h('span', { class: 'hint' }, 'Authenticate your card (under "Your cards") to pay'), ...refunds];
    if (purchase.status === 'REQUIRES_ACTION' && purchase.clientSecret)
      return [h('button', { type: 'button', onclick: () => authenticate(purchase) }, 'Authenticate this payment')];
    if (purchase.status === 'FAILED') return [h('span', { class: 'error' }, purchase.failureMessage ?? 'Failed')];
    return refunds;
  };

  const show = (purchase) => {
    const row = h(
      'tr',
      { 'data-purchase': purchase.id, 'data-status': purchase.status },
      h('td', {}, purchase.description),
      h('td', {}, money(purchase.amount, purchase.currency)),
      h('td', { class: `status status-${purchase.status}` }, STATUS_TEXT[purchase.status] ?? purchase.status),
      h('td', {}, details(purchase)),
    );
    const old = body.querySelector(`tr[data-purchase="${purchase.id}"]`);
    if (old) old.replaceWith(row);
    else body.prepend(row);
  };

  async function authenticate(purchase) {
    if (authenticated.has(purchase.id)) return;
    authenticated.add(purchase.id);
    message(`Your bank asks you to authenticate the payment for ${purchase.description}…`);
    const error = await authenticatePayment((await stripe()).stripe, purchase.clientSecret);
    message(error ? error.message : `Authenticated: finishing the payment for ${purchase.description}…`, !!error);
  }

  const follow = (id, autoAuthenticate) => {
    if (followed.has(id)) return;
    if (followed.size >= MAX_FOLLOWED) return void waiting.push([id, autoAuthenticate]);
    const stop = watch(
      `subscription($id: ID!) { purchaseUpdated(id: $id) { ${PURCHASE_FIELDS} } }`,
      { id },
      ({ purchaseUpdated: purchase }) => {
        if (!purchase) return unfollow(id);
        show(purchase);
        if (!UNSETTLED.has(purchase.status)) unfollow(id);
        else if (autoAuthenticate && purchase.status === 'REQUIRES_ACTION' && purchase.clientSecret)
          void authenticate(purchase);
      },
      () => unfollow(id),
    );
    followed.set(id, stop);
  };
  const unfollow = (id) => {
    followed.get(id)?.();
    followed.delete(id);
    const next = waiting.shift();
    if (next) follow(...next);
  };

  return {
    /** Shows the user's purchases (their first 50), newest first, and follows those not settled yet. */
    async load() {
      const { me } = await gql(`{ me { purchases(first: 50) { ${PURCHASE_FIELDS} } } }`);
      body.replaceChildren();
      const purchases = me.purchases.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      for (const purchase of purchases) show(purchase);
      for (const purchase of purchases.reverse()) if (UNSETTLED.has(purchase.status)) follow(purchase.id, false);
    },
    /** A purchase just made: shown at once, followed, and authenticated if the bank asks. */
    add(purchase) {
      show(purchase);
      follow(purchase.id, true);
    },
    stop() {
      waiting.length = 0;
      for (const id of [...followed.keys()]) unfollow(id);
      body.replaceChildren();
    },
  };
}
