import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeSecretFile } from '../../packages/base/secret-files.js';

/**
 * CALLBACK_SIGNING_SECRET, or outside production one generated on first start and kept in DATA_DIR,
 * so receivers keep verifying across restarts. `generated` tells the caller to print it once.
 */
export function resolveSigningSecret(config: Config): { secret: string; generated: boolean } {
  if (config.CALLBACK_SIGNING_SECRET) return { secret: config.CALLBACK_SIGNING_SECRET, generated: false };
  if (config.NODE_ENV === 'production') {
    throw new Error(
      'CALLBACK_SIGNING_SECRET is required in production (whsec_ followed by base64 of 24 to 64 random bytes)',
    );
  }
  const file = path.join(config.DATA_DIR, 'callback-signing-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: false };
  return { secret: writeNewSigningSecret(file), generated: true };
}

/** A fresh secret in `file`, readable by its owner only; deployments hand it over as CALLBACK_SIGNING_SECRET_FILE. */
export function writeNewSigningSecret(file: string): string {
  const secret = newSigningSecret();
  mkdirSync(path.dirname(file), { recursive: true });
  writeSecretFile(file, secret);
  return secret;
}

export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
