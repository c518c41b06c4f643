import { randomUUID } from 'node:crypto';

/** The payload of chargePurchase in callbacks.yml: a new purchase of a user whose one active card is `saved`. */
export function purchasePayload(saved: { stripeId: string; pm: string }, amount = 2_000, description = 'A book') {
  const n = randomUUID().slice(0, 8);
  return {
    id: `pur_${n}`,
    amount,
    currency: 'usd',
    description,
    isPaid: false,
    status: 'PENDING',
    createdAt: new Date().toISOString(),
    user: {
      id: `u_${n}`,
      stripeId: saved.stripeId,
      cardDetails: [{ status: 'ACTIVE', stripePaymentMethodId: saved.pm }],
    },
  };
}
