import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaymentStack } from '../../test/support/payment-stack.js';
import { sendCallback } from '../../test/support/sign.js';

describe('create-customer', () => {
  let stack: Awaited<ReturnType<typeof startPaymentStack>>;
  beforeAll(async () => {
    stack = await startPaymentStack();
  });
  afterAll(() => stack.stop());

  const quietCard = async (cardToken: string) => {
    const user = await stack.app.signUp();
    const card = await stack.app.db.cardDetails.create({ data: { cardToken, userId: user.userId } });
    const row = await stack.app.db.user.findUniqueOrThrow({ where: { id: user.userId } });
    return { id: card.id, cardToken, user: { id: row.id, email: row.email, name: row.name, stripeId: row.stripeId } };
  };
  const customersWith = async (email: string) => (await stack.stripe.customers.list({ limit: 100 })).data.filter((c) => c.email === email);

  it('creates one customer for the same card callback delivered twice', async () => {
    const card = await quietCard('tok_visa');
    expect((await sendCallback(stack.createCustomerUrl, card)).status).toBe(200);
    expect((await sendCallback(stack.createCustomerUrl, card)).status).toBe(200);
    expect(await customersWith(card.user.email)).toHaveLength(1);
    const user = await stack.app.db.user.findUniqueOrThrow({ where: { id: card.user.id } });
    expect(user.stripeId).toBe((await customersWith(card.user.email))[0]!.id);
    expect((await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: card.id } })).status).toBe('ACTIVE');
  });

  it('refuses a forged callback with 401: no customer, nothing written back', async () => {
    const card = await quietCard('tok_visa');
    const response = await sendCallback(stack.createCustomerUrl, card, { tamper: (body) => body.replace('tok_visa', 'tok_amex') });
    expect(response.status).toBe(401);
    expect(await customersWith(card.user.email)).toHaveLength(0);
    expect((await stack.app.db.cardDetails.findUniqueOrThrow({ where: { id: card.id } })).status).toBe('PENDING');
  });

  it('answers 200 and does nothing for card details deleted before delivery', async () => {
    expect(await sendCallback(stack.createCustomerUrl, null)).toEqual({ status: 200, body: { skipped: 'the card details no longer exist' } });
  });
});
