import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { idempotencyMismatch } from './errors.js';

/** Stripe forgets an idempotency key after 24 hours (of the account's clock here). */
export const KEY_LIFETIME_MS = 24 * 3_600_000;
/** Every POST from the SDK carries a key, so memory is bounded by count too: the oldest go first. */
export const KEYS_KEPT = 50_000;

export interface SavedResponse {
  status: number;
  body: string;
  requestId: string;
}

interface Entry {
  digest: string;
  expiresAt: number;
  /** The first response, deflated: replays are rare, memory is not. */
  saved?: { status: number; body: Buffer; requestId: string };
  pending?: Promise<SavedResponse | null>;
}

export type Claim =
  | { kind: 'first'; finish(response: SavedResponse | null): void }
  | { kind: 'replay'; response: Promise<SavedResponse | null> };

/** The digest that says whether a reused key carries the same request. */
export function requestDigest(method: string, path: string, params: unknown): string {
  return createHash('sha256').update(`${method} ${path} ${canonical(params)}`).digest('base64');
}

function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/**
 * One account's idempotency keys. The first request with a key runs; the same key with the same
 * request replays its response, waiting for it when the first is still running (so concurrent
 * duplicates make one object); with another request it is `idempotency_error`.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  claim(key: string, digest: string, now: number): Claim {
    this.forgetExpired(now);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      if (entry.digest !== digest) throw idempotencyMismatch(key);
      if (entry.saved) {
        const { status, body, requestId } = entry.saved;
        return { kind: 'replay', response: Promise.resolve({ status, body: inflateRawSync(body).toString(), requestId }) };
      }
      return { kind: 'replay', response: entry.pending! };
    }
    let settle!: (response: SavedResponse | null) => void;
    const fresh: Entry = { digest, expiresAt: now + KEY_LIFETIME_MS, pending: new Promise((resolve) => (settle = resolve)) };
    this.entries.delete(key);
    this.entries.set(key, fresh);
    if (this.entries.size > KEYS_KEPT) this.entries.delete(this.entries.keys().next().value!);
    return {
      kind: 'first',
      finish: (response) => {
        // A request that never ran (a rate limit, an injected fault) is not saved: the key stays free.
        if (response === null) {
          if (this.entries.get(key) === fresh) this.entries.delete(key);
        } else {
          fresh.saved = { status: response.status, body: deflateRawSync(response.body, { level: 1 }), requestId: response.requestId };
        }
        delete fresh.pending;
        settle(response);
      },
    };
  }

  /** Keys are in the order they were claimed, so the expired ones are at the front. */
  private forgetExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now || entry.pending) break;
      this.entries.delete(key);
    }
  }
}
