import type { Scope } from './scopes.js';

/** Each service, its default port, the variable holding its own Paygraph access token and that token's scopes. */
export const SERVICES = {
  'create-customer': { defaultPort: 4001, tokenVariable: 'CREATE_CUSTOMER_TOKEN', scopes: ['customers:write'] },
  'charge-customer': { defaultPort: 4002, tokenVariable: 'CHARGE_CUSTOMER_TOKEN', scopes: ['purchases:settle'] },
} as const satisfies Record<string, { defaultPort: number; tokenVariable: string; scopes: readonly Scope[] }>;

export type ServiceName = keyof typeof SERVICES;
