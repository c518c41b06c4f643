import type { Db } from '../db/client.js';
import type { Scope } from '../../packages/base/scopes.js';
import { generateToken, hashToken } from './tokens.js';

/** Returns the token itself, which is shown once and never stored. */
export async function createAccessToken(db: Db, name: string, scopes: Scope[]): Promise<{ id: string; token: string }> {
  const token = generateToken('pgt');
  const row = await db.accessToken.create({ data: { name, scopes, tokenHash: hashToken(token) } });
  return { id: row.id, token };
}

export function listAccessTokens(db: Db) {
  return db.accessToken.findMany({
    select: { id: true, name: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: 'asc' },
  });
}

/** Whether `token` is known, not revoked, and allows at least `scopes`. */
export async function isActiveAccessToken(db: Db, token: string, scopes: readonly Scope[]): Promise<boolean> {
  const row = await db.accessToken.findUnique({ where: { tokenHash: hashToken(token) } });
  return !!row && !row.revokedAt && scopes.every((scope) => row.scopes.includes(scope));
}

/** Revokes by id or by name; returns how many tokens were revoked. */
export async function revokeAccessToken(db: Db, idOrName: string): Promise<number> {
  const { count } = await db.accessToken.updateMany({
    where: { OR: [{ id: idOrName }, { name: idOrName }], revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}
