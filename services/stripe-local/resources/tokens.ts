import type { Account } from './account.js';
import { invalidRequest, resourceMissing } from '../errors.js';
import { renderCard } from './payment-methods.js';
import { cardForToken, type TestCard } from './test-cards.js';

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
  if (made.used)
    throw invalidRequest(`You cannot use a Stripe token more than once: ${token}.`, {
      param,
      code: 'token_already_used',
    });
  made.used = true;
  return made.card;
}

export function renderToken(record: TokenRecord): object {
  return {
    id: record.id,
    object: 'token',
    card: {
      ...renderCard({ id: record.cardId, card: record.card, customer: null, metadata: {} }),
      networks: { preferred: null },
    },
    client_ip: null,
    created: record.created,
    livemode: false,
    type: 'card',
    used: record.used,
  };
}
