import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { newLocalStripeKey, writeSecretFile } from '../../packages/base/secret-files.js';

/** Where `npm start` keeps the secret key of its account at the local Stripe. */
export const localStripeKeyFile = (dataDir: string) => path.join(dataDir, 'stripe-local-secret-key');

/**
 * The key of `npm start`'s own account at the local Stripe, the one account whose events reach the API.
 * Random, made at first start and kept (owner-only) in DATA_DIR like the other generated secrets: a key
 * written in the repository would let anyone who reaches the emulator's port act as that account.
 */
export function localStripeKey(dataDir: string): { key: string; file: string } {
  const file = localStripeKeyFile(dataDir);
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (/^sk_test_[A-Za-z0-9_]+$/.test(kept)) return { key: kept, file };
  const key = newLocalStripeKey();
  writeSecretFile(file, key);
  return { key, file };
}

/**
 * The account's publishable key, as the local Stripe pairs them (its publishableKeyOf); written out here
 * because the emulator's package is TypeScript that `npm run start:prod`'s compiled code cannot load.
 */
export const publishableKeyOf = (secretKey: string) => secretKey.replace(/^sk_test_/, 'pk_test_');
