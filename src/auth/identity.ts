import type { Db } from '../db/client.js';
import { unauthenticated } from '../errors.js';
import { isScope, type Scope } from './scopes.js';
import { hashToken } from './tokens.js';

/** Who is asking. `system` is the callbacks engine rendering payloads; it never comes from a request. */
export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; sessionId: string }
  | { kind: 'token'; tokenId: string; name: string; scopes: ReadonlySet<Scope> }
  | { kind: 'system' };

const ANONYMOUS: Identity = { kind: 'anonymous' };
const LAST_USED_RESOLUTION_MS = 60_000;

/** A bearer token that is present but unknown, expired or revoked is an error, not anonymity. */
export async function identify(db: Db, authorization: string | null | undefined): Promise<Identity> {
  if (!authorization) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  const token = match[1];
  const tokenHash = hashToken(token);
  if (token.startsWith('pgt_')) {
    const row = await db.accessToken.findUnique({ where: { tokenHash } });
    if (!row || row.revokedAt) throw unauthenticated('The access token is unknown or revoked');
    recordUse(db, row.id, row.lastUsedAt);
    return { kind: 'token', tokenId: row.id, name: row.name, scopes: new Set(row.scopes.filter(isScope)) };
  }
  const session = await db.session.findUnique({ where: { tokenHash } });
  if (!session || session.revokedAt || session.expiresAt <= new Date()) {
    throw unauthenticated('The session is unknown, expired or signed out');
  }
  return { kind: 'user', userId: session.userId, sessionId: session.id };
}

// Recorded at minute resolution and off the request path: one write per token per minute, not per request.
function recordUse(db: Db, tokenId: string, lastUsedAt: Date | null): void {
  if (lastUsedAt && Date.now() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
  db.accessToken.update({ where: { id: tokenId }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
}
