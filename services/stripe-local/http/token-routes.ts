import { z } from 'zod';
import { cardError, resourceMissing } from '../errors.js';
import { checkRawCardData } from '../resources/account.js';
import { newId } from '../ids.js';
import { cardForNumber, INCORRECT_NUMBER } from '../resources/test-cards.js';
import { renderToken, type TokenRecord } from '../resources/tokens.js';
import { integer, parse } from './params.js';
import type { Route } from './router.js';

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
      checkRawCardData(account);
      const testCard = cardForNumber(card.number);
      if (!testCard) throw cardError(INCORRECT_NUMBER, { param: 'number' });
      if (card.exp_month < 1 || card.exp_month > 12)
        throw cardError(
          { code: 'invalid_expiry_month', message: "Your card's expiration month is invalid." },
          { param: 'exp_month' },
        );
      const year = card.exp_year < 100 ? 2000 + card.exp_year : card.exp_year;
      const now = new Date(account.now());
      if (year < now.getUTCFullYear() || (year === now.getUTCFullYear() && card.exp_month < now.getUTCMonth() + 1)) {
        throw cardError(
          { code: 'invalid_expiry_year', message: "Your card's expiration year is invalid." },
          { param: 'exp_year' },
        );
      }
      const record: TokenRecord = {
        id: newId('tok'),
        cardId: newId('card'),
        card: testCard,
        created: account.seconds(),
        used: false,
      };
      account.tokens.add(record);
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
