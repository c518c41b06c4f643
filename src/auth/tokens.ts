import { createHash, randomBytes } from 'node:crypto';

/** `pgs_` marks a user's session, `pgt_` a service's access token, so a leaked one is recognisable. */
export type TokenKind = 'pgs' | 'pgt';

export function generateToken(kind: TokenKind): string {
  return `${kind}_${randomBytes(32).toString('base64url')}`;
}

// Tokens carry 256 random bits, so a fast hash is enough: nobody can guess their way to a preimage.
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
