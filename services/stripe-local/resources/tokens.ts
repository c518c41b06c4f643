import { z } from 'zod';
import type { Account } from './account.js';
import { cardError, invalidRequest, resourceMissing } from './errors.js';
import { newId } from './ids.js';
import { integer, parse } from './params.js';
import { renderCard } from './payment-methods.js';
import type { Route } from './router.js';
import { cardForNumber, cardForToken, INCORRECT_NUMBER, type TestCard } from './test-cards.js';

/** A card token made with `POST /v1/tokens`: usable once, as Stripe's are. */
export interface TokenRecord {
  id: string;
  cardId: string;
  card: TestCard;
  created: number;
  used: boolean;
}

/**
 * A token parameter (`source`, `card[token]`): Stripe's documented test tokens (`tok_visa`, reusable,
 * as in test mode) or a token this account made (once). Anything else is `No such token`.
 */
export function useToken(account: Account, token: string, param: string): TestCard {
  const documented = cardForToken(token);
  if (documented) return documented;
  const made = account.tokens.get(token);
  if (!made) throw resourceMissing('token', token, param);
  if (made.used) throw invalidRequest(`You cannot use a Stripe token more than once: ${token}.`, { param, code: 'token_already_used' });
  made.used = true;
  return made.card;
}

function renderToken(record: TokenRecord): object {
  return {
    id: record.id,
    object: 'token',
    card: { ...renderCard({ id: record.cardId, card: record.card, customer: null, metadata: {} }), networks: { preferred: null } },
    client_ip: null,
    created: record.created,
    livemode: false,
    type: 'card',
    used: record.used,
  };
}

const createParams = z.strictObject({
  card: z.strictObject({
    number: z.string(),
    exp_month: integer,
    exp_year: integer,
    cvc: z.string().optional(),
    name: z.string().optional(),
    address_zip: z.string().optional(),
    address_line1: z.string().optional(),
    address_country: z.string().optional(),
  }),
});

export const tokenRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/tokens',
    handler({ account, params }) {
      const { card } = parse(createParams, params);
      const testCard = cardForNumber(card.number);
      if (!testCard) throw cardError(INCORRECT_NUMBER, { param: 'number' });
      if (card.exp_month < 1 || card.exp_month > 12) throw cardError({ code: 'invalid_expiry_month', message: "Your card's expiration month is invalid." }, { param: 'exp_month' });
      const year = card.exp_year < 100 ? 2000 + card.exp_year : card.exp_year;
      const now = new Date(account.now());
      if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && card.exp_month < now.getUTCMonth() + 1)) {
        throw cardError({ code: 'invalid_expiry_year', message: "Your card's expiration year is invalid." }, { param: 'exp_year' });
      }
      const record: TokenRecord = { id: newId('tok'), cardId: newId('card'), card: testCard, created: account.seconds(), used: false };
      account.tokens.set(record.id, record);
      return renderToken(record);
    },
  },
  {
    method: 'GET',
    path: '/v1/tokens/:id',
    handler({ account, path }) {
      const record = account.tokens.get(path.id!);
      if (!record) throw resourceMissing('token', path.id!);
      return renderToken(record);
    },
  },
];
