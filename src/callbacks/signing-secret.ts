import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

/**
 * CALLBACK_SIGNING_SECRET, or outside production one generated on first start and kept in DATA_DIR,
 * so receivers keep verifying across restarts. `generated` tells the caller to print it once.
 */
export function resolveSigningSecret(config: Config): { secret: string; generated: boolean } {
  if (config.CALLBACK_SIGNING_SECRET) return { secret: config.CALLBACK_SIGNING_SECRET, generated: false };
  if (config.NODE_ENV === 'production') {
    throw new Error('CALLBACK_SIGNING_SECRET is required in production (whsec_ followed by base64 of 24 to 64 random bytes)');
  }
  const file = path.join(config.DATA_DIR, 'callback-signing-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: false };
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  mkdirSync(config.DATA_DIR, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, generated: true };
}
