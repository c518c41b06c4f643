import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Ids as Stripe makes them: a type prefix and 24 random base-62 characters (`cus_...`, `pi_...`). */
export function newId(prefix: string, length = 24): string {
  const characters = Array.from(randomBytes(length), (byte) => ALPHABET[byte % 62]);
  // One flat string: appending character by character would keep a chain of string pieces per id.
  return `${prefix}_${characters.join('')}`;
}
