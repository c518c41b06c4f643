/** What an access token may do. Each scope is narrow: a service gets only what its callback needs. */
export const SCOPES = {
  'customers:write': "set a user's stripeId and mark card details active or rejected",
  'purchases:settle': 'mark purchases paid or failed, record refunds made at Stripe',
  'purchases:refund': 'refund paid purchases (refundPurchase)',
  'nodes:read': 'read any user, card details (with cardToken) and purchase',
  'callbacks:admin': 'list, redeliver, enable and disable mutation callbacks',
} as const;

export type Scope = keyof typeof SCOPES;

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}
