// The Paygraph example shop: plain ES modules, no framework, no build step. It uses only Paygraph's
// public GraphQL API (docs/api.md) and Stripe.js: copy this folder and point it at your own API.
import { gql, session } from './api.js';
import { addCard, loadCards, mountCardField, renderCards, settle } from './cards.js';
import { h, money, say } from './dom.js';
import { PURCHASE_FIELDS, purchaseTable } from './purchases.js';
import { loadStripe } from './stripe.js';

// A fixed catalogue: amounts in cents, as Paygraph and Stripe count them.
const CATALOGUE = [
  { id: 'mug', description: 'Paygraph mug', amount: 1200 },
  { id: 'stickers', description: 'Sticker pack', amount: 450 },
  { id: 'hoodie', description: 'Hoodie', amount: 4500 },
];

const $ = (id) => document.getElementById(id);
const messages = {
  notice: (text, error) => say($('notice'), text, error),
  auth: (text, error) => say($('auth-error'), text, error),
  card: (text, error) => say($('card-message'), text, error),
  buy: (text, error) => say($('buy-message'), text, error),
};
const purchases = purchaseTable($('purchases'), loadStripe, messages.buy);
let user = null;
let cardField = null;

async function showShop(me) {
  user = me;
  $('account').hidden = true;
  $('shop').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent = me.email;
  await Promise.all([refreshCards(), purchases.load()]);
  const { stripe } = await loadStripe();
  cardField ??= mountCardField(stripe, '#card-element', $('card-message'));
}

function showSignIn(message = '') {
  user = null;
  purchases.stop();
  $('shop').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('account').hidden = false;
  messages.auth(message, !!message);
}

let cardsAsked = 0;
async function refreshCards() {
  // Answers can cross on the wire: only the newest question's answer is shown.
  const asked = ++cardsAsked;
  const cards = await loadCards();
  if (asked !== cardsAsked) return;
  renderCards($('cards'), cards, async (card) => {
    const result = await settle((await loadStripe()).stripe, card.id, messages.card, refreshCards);
    messages.card(result.message, !result.ok);
    await refreshCards();
  });
}

$('auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const credentials = { email: form.get('email'), password: form.get('password') };
  let signinUser;
  try {
    if (event.submitter?.value === 'signup') {
      await gql(
        'mutation($name: String!, $email: String!, $password: String!) { createUser(name: $name, authProvider: { email: { email: $email, password: $password } }) { id } }',
        { name: form.get('name') || credentials.email, ...credentials },
      );
    }
    ({ signinUser } = await gql(
      'mutation($email: String!, $password: String!) { signinUser(email: { email: $email, password: $password }) { token user { id name email } } }',
      credentials,
    ));
    session.set(signinUser.token);
    event.target.reset();
  } catch (error) {
    return messages.auth(error.message, true);
  }
  await showShop(signinUser.user).catch((error) => messages.notice(error.message, true));
});

$('sign-out').addEventListener('click', async () => {
  await gql('mutation { signoutUser }').catch(() => undefined);
  session.clear();
  showSignIn();
});

$('card-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('save-card');
  button.disabled = true;
  try {
    const { stripe } = await loadStripe();
    const result = await addCard(stripe, cardField, user.id, (text) => messages.card(text), refreshCards);
    messages.card(result.message, !result.ok);
    await refreshCards();
  } catch (error) {
    messages.card(error.message, true);
  } finally {
    button.disabled = false;
  }
});

async function buy(item) {
  messages.buy('');
  try {
    const { createPurchase } = await gql(
      `mutation($amount: Int!, $description: String!, $user: ID!) {
        createPurchase(amount: $amount, currency: "usd", description: $description, userId: $user) { ${PURCHASE_FIELDS} } }`,
      { amount: item.amount, description: item.description, user: user.id },
    );
    purchases.add(createPurchase);
  } catch (error) {
    messages.buy(error.message, true);
  }
}

$('catalogue').replaceChildren(
  ...CATALOGUE.map((item) =>
    h(
      'li',
      { 'data-item': item.id },
      h('span', { class: 'item' }, item.description),
      h('span', { class: 'price' }, money(item.amount)),
      h('button', { type: 'button', 'aria-label': `Buy ${item.description}`, onclick: () => buy(item) }, 'Buy'),
    ),
  ),
);

async function start() {
  loadStripe().then(
    ({ mode }) => {
      $('mode').hidden = false;
      $('mode').textContent = mode === 'LIVE' ? 'live: real cards are charged' : 'test mode: use a test card';
    },
    (error) => messages.notice(error.message, true),
  );
  if (!session.get()) return showSignIn();
  const { me } = await gql('{ me { id name email } }').catch(() => ({ me: null }));
  if (!me) {
    session.clear();
    return showSignIn('Your session ended: sign in again.');
  }
  await showShop(me).catch((error) => messages.notice(error.message, true));
}

start();
