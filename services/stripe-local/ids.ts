import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Ids as Stripe makes them: a type prefix and 24 random base-62 characters (`cus_...`, `pi_...`). */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = `${prefix}_`;
  for (const byte of bytes) id += ALPHABET[byte % 62];
  return id;
}
