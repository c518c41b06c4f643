import { createHash } from 'node:crypto';
import { idempotencyKeyInUse, idempotencyMismatch } from '../errors.js';

/** Stripe forgets an idempotency key after 24 hours (of the account's clock here). */
export const KEY_LIFETIME_MS = 24 * 3_600_000;
/** Every POST from the SDK carries a key, so memory is bounded by count too: beyond this, the oldest go first. */
export const KEYS_KEPT = 250_000;
/** The newest keys keep their response word for word; older ones keep the object's id and replay it as it is now. */
export const FULL_RESPONSES_KEPT = 5_000;

export interface SavedResponse {
  status: number;
  /** The response as first sent, or, for an older key, the id of the object it answered. */
  body: string | { objectId: string };
  requestId: string;
}

export interface Entry {
  digest: string;
  expiresAt: number;
  /** Absent while the first request with the key still runs. */
  saved?: SavedResponse;
}

/** A key and its saved answer, as a state file keeps it. */
export type SavedKey = Entry & { id: string; saved: SavedResponse };

export type Claim =
  { kind: 'first'; finish(response: SavedResponse | null): void } | { kind: 'replay'; response: SavedResponse };

/** The digest that says whether a reused key carries the same request. */
export function requestDigest(method: string, path: string, params: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path} ${canonical(params)}`)
    .digest('base64');
}

function canonical(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

/**
 * One account's idempotency keys (docs/api/idempotent_requests). The first request with a key runs; the
 * same key with the same request replays its response; while the first still runs it is 409
 * `idempotency_key_in_use` at once (the SDK retries it); with another request it is `idempotency_error`.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  /** Keys whose entries still hold a full response body, oldest first. */
  private readonly full: Entry[] = [];

  /** `saved` hears of each key whose answer is saved, so a state file can keep it. */
  constructor(private readonly saved?: (entry: SavedKey) => void) {}

  /** Every key with a saved answer, oldest first. */
  *savedKeys(): Generator<SavedKey> {
    for (const [id, entry] of this.entries) if (entry.saved) yield { id, ...entry, saved: entry.saved };
  }

  /** A key's saved answer, as a state file kept it. */
  restore({ id, ...entry }: SavedKey): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.keepFull(entry);
  }

  claim(key: string, digest: string, now: number): Claim {
    this.forgetExpired(now);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > now) {
      if (entry.digest !== digest) throw idempotencyMismatch(key);
      if (!entry.saved) throw idempotencyKeyInUse(key);
      return { kind: 'replay', response: entry.saved };
    }
    const fresh: Entry = { digest, expiresAt: now + KEY_LIFETIME_MS };
    this.entries.delete(key);
    this.entries.set(key, fresh);
    if (this.entries.size > KEYS_KEPT) this.entries.delete(this.entries.keys().next().value!);
    return {
      kind: 'first',
      finish: (response) => {
        // A request that never ran (invalid parameters, a rate limit, an injected fault) is not saved: the key is free.
        if (response === null) {
          if (this.entries.get(key) === fresh) this.entries.delete(key);
        } else {
          fresh.saved = response;
          this.keepFull(fresh);
          this.saved?.({ id: key, ...fresh, saved: response });
        }
      },
    };
  }

  private keepFull(entry: Entry): void {
    // Errors name no object to replay, and are small: they are kept word for word whatever their age.
    if (entry.saved!.status !== 200) return;
    this.full.push(entry);
    if (this.full.length <= FULL_RESPONSES_KEPT) return;
    const older = this.full.shift()!;
    const match = /^\{"id":"([^"]+)"/.exec(older.saved!.body as string)?.[1];
    // Copied character by character: a substring would keep the whole response it was cut from alive.
    if (match) older.saved = { ...older.saved!, body: { objectId: [...match].join('') } };
  }

  /** Keys are in the order they were claimed, so the expired ones are at the front. */
  private forgetExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now || !entry.saved) break;
      this.entries.delete(key);
    }
  }
}
