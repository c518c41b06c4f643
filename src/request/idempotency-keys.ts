import type { ExecutionResult } from 'graphql';
import type { Pool } from 'pg';
import stringify from 'safe-stable-stringify';
import type { Db, Tx } from '../db/client.js';
import { sendBehind } from '../db/write-behind.js';

/** The SQL of the idempotency_key table, one statement per purpose. */
export interface Claim {
  /** Whose key: user:<id>, token:<id> or anonymous:<client address>. */
  scope: string;
  key: string;
  requestHash: string;
}

/** Keys are answered again for at least this long, as Stripe's are. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** Inserts the key, or finds it taken; a concurrent claim of the same key waits here for the other to end. */
export async function claimKey(tx: Tx, claim: Claim): Promise<boolean> {
  const inserted = await tx.$executeRaw`insert into idempotency_key (scope, key, request_hash)
    values (${claim.scope}, ${claim.key}, ${claim.requestHash}) on conflict do nothing`;
  return inserted === 1;
}

const SAVE_RESPONSE = 'update idempotency_key set response = $1::jsonb where scope = $2 and key = $3';

/** Written with the transaction's COMMIT when it can be (src/db/write-behind.ts): nobody reads its answer. */
export async function saveResponse(tx: Tx, claim: Claim, result: ExecutionResult): Promise<void> {
  await sendBehind(tx, SAVE_RESPONSE, [stringify(result), claim.scope, claim.key]);
}

export async function readClaim(
  db: Db,
  claim: Claim,
): Promise<{ request_hash: string; response: ExecutionResult | null } | undefined> {
  const [row] = await db.$queryRaw<{ request_hash: string; response: ExecutionResult | null }[]>`
    select request_hash, response from idempotency_key where scope = ${claim.scope} and key = ${claim.key}`;
  return row;
}

/** Run by the worker's sweep: keys past their time go, a batch at a time, so the table stays small. */
export async function purgeExpiredKeys(pool: Pool, batch = 1000): Promise<number> {
  const { rowCount } = await pool.query(
    `delete from idempotency_key where ctid in (
       select ctid from idempotency_key where created_at < now() - make_interval(hours => $1) limit $2)`,
    [IDEMPOTENCY_KEY_HOURS, batch],
  );
  return rowCount ?? 0;
}
