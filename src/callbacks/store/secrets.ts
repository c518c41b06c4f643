import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

/**
 * Each callback's own signing secrets (Standard Webhooks: a key per endpoint), for callbacks whose
 * callbacks.yml entry names no `secret`/`secrets`. Stored as written: an HMAC is made with the key
 * itself, so a hash would be useless (docs/callbacks.md, "Secrets").
 */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Gives every named callback that has no secret yet its first one; returns only those made by this
 * call, so the process that made a secret is the one that prints it, once. Two processes starting
 * together both try; the primary key lets one win.
 */
export async function ensureCallbackSecrets(
  pool: Pool,
  names: readonly string[],
): Promise<{ callback: string; secret: string }[]> {
  if (names.length === 0) return [];
  const secrets = names.map(() => newSecret());
  const { rows } = await pool.query<{ callback: string; secret: string }>(
    `insert into callback_secret (callback, generation, secret)
     select name, 1, secret from unnest($1::text[], $2::text[]) as given(name, secret)
      where not exists (select 1 from callback_secret s where s.callback = given.name)
     on conflict do nothing
     returning callback, secret`,
    [names, secrets],
  );
  return rows;
}

/** The secrets that sign a callback's requests now, newest first. */
export async function activeSecrets(pool: Pool, name: string): Promise<string[]> {
  const { rows } = await pool.query<{ secret: string }>(
    `select secret from callback_secret
      where callback = $1 and (expires_at is null or expires_at > now()) order by generation desc`,
    [name],
  );
  return rows.map((row) => row.secret);
}

/**
 * A new secret becomes the first signature; the ones signing now keep signing beside it for `graceMs`
 * (an older grace that ends sooner is kept), so receivers can move over without a refused request.
 */
export async function rotateCallbackSecret(
  pool: Pool,
  name: string,
  graceMs: number,
): Promise<{ secret: string; previousUntil: Date }> {
  const secret = newSecret();
  const { rows } = await pool.query<{ previous_until: Date }>(
    `with older as (
       update callback_secret set expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => $3::float8 / 1000))
        where callback = $1 and (expires_at is null or expires_at > now())
       returning 1
     ), added as (
       insert into callback_secret (callback, generation, secret)
       select $1, coalesce(max(generation), 0) + 1, $2 from callback_secret where callback = $1
     )
     select now() + make_interval(secs => $3::float8 / 1000) as previous_until`,
    [name, secret, graceMs],
  );
  return { secret, previousUntil: rows[0]!.previous_until };
}

/** Ends a rotation's grace now: only the newest secret signs from here on. Returns how many stopped. */
export async function retireOlderSecrets(pool: Pool, name: string): Promise<number> {
  const { rowCount } = await pool.query(
    `update callback_secret set expires_at = now()
      where callback = $1 and (expires_at is null or expires_at > now())
        and generation < (select max(generation) from callback_secret where callback = $1)`,
    [name],
  );
  return rowCount ?? 0;
}

// A rotation reaches every worker within this; the old secret signs for hours beside the new one,
// so a second of lag costs nothing, and a delivery need not read the table each time.
const CACHE_MS = 1_000;

/** A per-process reader of `activeSecrets`, cached for a few seconds per callback. */
export function storedSecretReader(pool: Pool, cacheMs = CACHE_MS): (name: string) => Promise<string[]> {
  const cache = new Map<string, { secrets: Promise<string[]>; until: number }>();
  return (name) => {
    const hit = cache.get(name);
    if (hit && hit.until > Date.now()) return hit.secrets;
    const secrets = activeSecrets(pool, name);
    cache.set(name, { secrets, until: Date.now() + cacheMs });
    // A failed read is not remembered: the next delivery asks again.
    secrets.catch(() => cache.delete(name));
    return secrets;
  };
}
