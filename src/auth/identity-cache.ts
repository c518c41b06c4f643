import type { ChannelListener } from '../live/change-feed.js';
import type { Logger } from '../../packages/base/logger.js';
import type { Identity } from './identity.js';

/** The channel migration `auth_revocation_notify` announces every changed or deleted session and access token on. */
export const AUTH_CHANNEL = 'paygraph_auth';

export interface CachedIdentity {
  identity: Identity;
  /** The session's own expiry; an access token does not expire. */
  expiresAt: number;
  /** Tokens record their last use at minute resolution; the cache keeps what was last written. */
  lastUsedAt: number | null;
}

type Entry = CachedIdentity & { id: string; cachedUntil: number };

export interface IdentityCache {
  get(tokenHash: string): CachedIdentity | undefined;
  /** Remembers a verified identity, unless a revocation was heard since `epoch` (its read may predate it). */
  set(tokenHash: string, id: string, value: CachedIdentity, epoch: number): void;
  /** Taken before reading a session or token, and handed back to `set`. */
  epoch(): number;
  /** A session or access token changed or went: its entry goes, before the next request is read. */
  drop(id: string): void;
  /**
   * This process is revoking `id` in a transaction not yet committed: its entry goes now, and nothing
   * re-caches it until its revocation is heard (or `PENDING_REVOCATION_MS` passes, if it rolled back).
   * So the revoking client's next request is refused without waiting for the NOTIFY.
   */
  revoking(id: string): void;
  /** While the LISTEN connection is down a revocation could be missed: nothing is trusted or kept. */
  setListening(listening: boolean): void;
}

// How long a sign-out this process is making keeps its session out of the cache if its NOTIFY never
// comes (the sign-out rolled back).
const PENDING_REVOCATION_MS = 10_000;

/**
 * Verified sessions and access tokens, kept by this process for a short time so a request does not
 * read its session again. Safe only with its LISTEN connection up: every
 * revocation is dropped as soon as its transaction commits; while that connection is down the cache
 * is empty and unused (`revocationListener`). `ttlMs` bounds what a missed notification could ever cost.
 */
export function createIdentityCache({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }): IdentityCache {
  const entries = new Map<string, Entry>();
  const hashesById = new Map<string, string>();
  // Ids this process is revoking, until their NOTIFY: a read before the commit must not re-cache them.
  const pendingUntil = new Map<string, number>();
  let listening = false;
  let epoch = 0;
  const forget = (tokenHash: string) => {
    const entry = entries.get(tokenHash);
    if (!entry) return;
    entries.delete(tokenHash);
    hashesById.delete(entry.id);
  };
  const drop = (id: string) => {
    epoch++;
    pendingUntil.delete(id);
    const tokenHash = hashesById.get(id);
    if (tokenHash) forget(tokenHash);
  };
  return {
    get(tokenHash) {
      if (!listening) return undefined;
      const entry = entries.get(tokenHash);
      if (entry && entry.cachedUntil > Date.now()) return entry;
      forget(tokenHash);
      return undefined;
    },
    set(tokenHash, id, value, readAt) {
      if (!listening || readAt !== epoch) return;
      const pending = pendingUntil.get(id);
      if (pending !== undefined) {
        if (pending > Date.now()) return;
        pendingUntil.delete(id);
      }
      forget(tokenHash);
      // Oldest first out: a Map iterates in insertion order.
      if (entries.size >= maxEntries) forget(entries.keys().next().value!);
      entries.set(tokenHash, { ...value, id, cachedUntil: Date.now() + ttlMs });
      hashesById.set(id, tokenHash);
    },
    epoch: () => epoch,
    drop,
    revoking(id) {
      drop(id);
      const now = Date.now();
      // A revocation that rolled back is never heard: its mark goes once stale.
      if (pendingUntil.size >= maxEntries)
        for (const [stale, until] of pendingUntil) if (until <= now) pendingUntil.delete(stale);
      pendingUntil.set(id, now + PENDING_REVOCATION_MS);
    },
    setListening(value) {
      epoch++;
      listening = value;
      entries.clear();
      hashesById.clear();
      pendingUntil.clear();
    },
  };
}

/** Who else hears of credentials: open subscriptions, which check their own (src/live/while-signed-in.ts). */
export interface CredentialAnnouncer {
  /** A session's or access token's row changed. */
  changed(id: string): void;
  /** LISTEN holds again after a loss: any credential may have changed unheard. */
  mayHaveMissed(): void;
}

/** Revocations for `cache`, heard on the API process's LISTEN connection (src/live/change-feed.ts). */
export function revocationListener(
  cache: IdentityCache,
  logger: Logger,
  announce?: CredentialAnnouncer,
): ChannelListener {
  return {
    channel: AUTH_CHANNEL,
    onPayload(payload) {
      try {
        const { id } = JSON.parse(payload ?? '') as { id?: unknown };
        if (typeof id === 'string') {
          cache.drop(id);
          return announce?.changed(id);
        }
      } catch {
        // fall through: an unreadable notice may have been a revocation
      }
      logger.warn({ payload }, 'identity cache: unreadable revocation notice; starting over');
      cache.setListening(true);
    },
    onDown: () => cache.setListening(false),
    onUp: () => {
      cache.setListening(true);
      announce?.mayHaveMissed();
    },
  };
}
