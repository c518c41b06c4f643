import type { Db } from '../db/client.js';
import { generateToken, hashToken } from './tokens.js';

export async function createSession(db: Db, userId: string, ttlHours: number): Promise<string> {
  const token = generateToken('pgs');
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await db.session.create({ data: { userId, tokenHash: hashToken(token), expiresAt } });
  return token;
}

export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  await db.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date() } });
}
