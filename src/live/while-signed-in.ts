import { Repeater } from 'graphql-yoga';
import type { Identity } from '../auth/identity.js';
import type { Db } from '../db/client.js';
import { unauthenticated } from '../errors.js';
import type { ChangeFeed } from './change-feed.js';

// setTimeout's longest delay; a session that outlives it is checked again when the timer fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The session or access token a request came with; anonymous and system requests have none. */
export function credentialOf(identity: Identity): { kind: 'session' | 'token'; id: string } | null {
  if (identity.kind === 'user') return { kind: 'session', id: identity.sessionId };
  if (identity.kind === 'token') return { kind: 'token', id: identity.tokenId };
  return null;
}

/** When the credential stops being valid: now (0) if it already has, Infinity if it never expires. */
async function validUntil(db: Db, credential: { kind: 'session' | 'token'; id: string }): Promise<number> {
  if (credential.kind === 'token') {
    const token = await db.accessToken.findUnique({ where: { id: credential.id }, select: { revokedAt: true } });
    return token && !token.revokedAt ? Infinity : 0;
  }
  const session = await db.session.findUnique({
    where: { id: credential.id },
    select: { revokedAt: true, expiresAt: true },
  });
  return session && !session.revokedAt ? session.expiresAt.getTime() : 0;
}

/**
 * A subscription's events for as long as the session or token that opened it holds: signing out,
 * revoking the token or the session's expiry ends the stream with UNAUTHENTICATED, as the next
 * request would be refused. Every change to a session or token row is announced (migration
 * `auth_revocation_notify`, relayed to the feed as `CredentialChanged`); most are not revocations (a
 * token's last use), so each notice is checked against the row. The check also runs once listening
 * has begun, so a sign-out between the request's authentication and the subscription is not missed,
 * and again for every stream when the LISTEN connection holds again after a loss.
 * A Repeater, not an async generator: a client that leaves ends it at once, not at its next event.
 */
export function whileSignedIn<T>(
  ctx: { db: Db; identity: Identity; live: ChangeFeed },
  source: AsyncIterable<T>,
): AsyncIterable<T> {
  const credential = credentialOf(ctx.identity);
  if (!credential) return source;
  return new Repeater<T>(async (push, stop) => {
    // A pubsub stream starts listening at its first next(): asked before the first check.
    const notices = Repeater.merge([
      ctx.live.subscribe('CredentialChanged', credential.id),
      ctx.live.subscribe('AnyCredentialChanged'),
    ])[Symbol.asyncIterator]();
    let nextNotice = notices.next();
    const events = source[Symbol.asyncIterator]();
    const stopped = stop.then(() => 'stopped' as const);
    let timer: NodeJS.Timeout | undefined;
    const checkStillSignedIn = async () => {
      const until = await validUntil(ctx.db, credential);
      if (until <= Date.now())
        throw unauthenticated('The session was signed out or has expired, or the access token was revoked');
      clearTimeout(timer);
      // Expiry is a change of its own: announced to this credential's subscribers, and checked like one.
      if (until !== Infinity)
        timer = setTimeout(
          () => ctx.live.publish('CredentialChanged', credential.id, credential.id),
          Math.min(until - Date.now(), MAX_TIMER_MS),
        );
    };
    try {
      await checkStillSignedIn();
      let nextEvent = events.next();
      for (;;) {
        const winner = await Promise.race([
          nextEvent.then((event) => ({ event })),
          nextNotice.then(() => 'notice' as const),
          stopped,
        ]);
        if (winner === 'stopped') return;
        if (winner === 'notice') {
          await checkStillSignedIn();
          nextNotice = notices.next();
          continue;
        }
        if (winner.event.done) return stop();
        await push(winner.event.value);
        nextEvent = events.next();
      }
    } finally {
      clearTimeout(timer);
      await Promise.all([events.return?.(), notices.return?.()]);
    }
  });
}
