import type { Db } from '../db/client.js';
import { unauthenticated } from '../errors.js';
import type { IdentityCache } from './identity-cache.js';
import { isScope, type Scope } from '../../packages/base/scopes.js';
import { hashToken } from './tokens.js';

/** Who is asking. `system` is the callbacks engine rendering payloads; it never comes from a request. */
export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; sessionId: string }
  | { kind: 'token'; tokenId: string; name: string; scopes: ReadonlySet<Scope> }
  | { kind: 'system' };

const ANONYMOUS: Identity = { kind: 'anonymous' };
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A bearer token that is present but unknown, expired or revoked is an error, not anonymity. With a
 * `cache` (API processes), a token verified moments ago is not read again: revocations reach the
 * cache by NOTIFY (./identity-cache.ts).
 */
export async function identify(
  db: Db,
  authorization: string | null | undefined,
  cache?: IdentityCache,
): Promise<Identity> {
  if (!authorization) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  const token = match[1];
  const tokenHash = hashToken(token);
  const cached = cache?.get(tokenHash);
  if (cached) {
    if (cached.expiresAt <= Date.now()) throw unauthenticated('The session is unknown, expired or signed out');
    if (cached.identity.kind === 'token') cached.lastUsedAt = recordUse(db, cached.identity.tokenId, cached.lastUsedAt);
    return cached.identity;
  }
  const epoch = cache?.epoch() ?? 0;
  if (token.startsWith('pgt_')) {
    const row = await db.accessToken.findUnique({ where: { tokenHash } });
    if (!row || row.revokedAt) throw unauthenticated('The access token is unknown or revoked');
    const lastUsedAt = recordUse(db, row.id, row.lastUsedAt?.getTime() ?? null);
    const identity: Identity = {
      kind: 'token',
      tokenId: row.id,
      name: row.name,
      scopes: new Set(row.scopes.filter(isScope)),
    };
    cache?.set(tokenHash, row.id, { identity, expiresAt: Infinity, lastUsedAt }, epoch);
    return identity;
  }
  const session = await db.session.findUnique({ where: { tokenHash } });
  if (!session || session.revokedAt || session.expiresAt <= new Date()) {
    throw unauthenticated('The session is unknown, expired or signed out');
  }
  const identity: Identity = { kind: 'user', userId: session.userId, sessionId: session.id };
  cache?.set(tokenHash, session.id, { identity, expiresAt: session.expiresAt.getTime(), lastUsedAt: null }, epoch);
  return identity;
}

// Recorded at minute resolution and off the request path: one write per token per minute, not per request.
function recordUse(db: Db, tokenId: string, lastUsedAt: number | null): number | null {
  if (lastUsedAt !== null && Date.now() - lastUsedAt < LAST_USED_RESOLUTION_MS) return lastUsedAt;
  const now = new Date();
  db.accessToken.update({ where: { id: tokenId }, data: { lastUsedAt: now } }).catch(() => undefined);
  return now.getTime();
}
