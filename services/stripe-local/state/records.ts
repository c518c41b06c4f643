import type { Collection, Stored } from '../collection.js';
import type { Accounts, Permissions } from '../http/accounts.js';
import type { Account, AccountSettings } from '../resources/account.js';
import type { SavedKey } from '../resources/idempotency.js';

/** The account's collections a state file keeps, in the order they load: what a record refers to comes first. */
export const COLLECTIONS = [
  'customers',
  'cards',
  'tokens',
  'setupIntents',
  'paymentIntents',
  'charges',
  'refunds',
  'disputes',
  'events',
  'webhookEndpoints',
] as const;
type CollectionKind = (typeof COLLECTIONS)[number];

// Records that hold another record itself (not its id): kept as the id, found again on load.
const REFERENCES: Partial<Record<string, Record<string, CollectionKind>>> = {
  charges: { saved: 'cards' },
  refunds: { charge: 'charges' },
  disputes: { charge: 'charges' },
};

/** What an account's records became in a state file: by kind, then by id, in the order they were first written. */
export interface KeptAccount {
  settings?: AccountSettings;
  records: Map<string, Map<string, Record<string, unknown>>>;
}

/** A record as a line of the state file holds it. */
export function encodeRecord(kind: string, record: { id: string }): object {
  const references = REFERENCES[kind];
  if (!references) return record;
  const copy: Record<string, unknown> = { ...record };
  for (const field of Object.keys(references)) copy[field] = (copy[field] as { id: string }).id;
  return copy;
}

const collectionOf = (account: Account, kind: CollectionKind) => account[kind] as unknown as Collection<Stored>;

/** An account's kept records put back, kind by kind, so that each finds the records it refers to. */
export function restoreAccount(accounts: Accounts, key: string, kept: KeptAccount): void {
  const account = accounts.of(key);
  if (kept.settings) account.settings = kept.settings;
  for (const kind of COLLECTIONS) {
    for (const written of kept.records.get(kind)?.values() ?? []) {
      const record = { ...written };
      for (const [field, target] of Object.entries(REFERENCES[kind] ?? {})) {
        const found = collectionOf(account, target).get(record[field] as string);
        if (!found)
          throw new Error(
            `its ${kind} record ${record.id as string} refers to ${record[field] as string}, which it does not hold`,
          );
        record[field] = found;
      }
      collectionOf(account, kind).add(record as unknown as Stored);
    }
  }
  for (const entry of kept.records.get('idempotency')?.values() ?? [])
    account.idempotency.restore(entry as unknown as SavedKey);
  for (const { id, permissions } of kept.records.get('restrictedKeys')?.values() ?? [])
    accounts.restrict(account, id as string, permissions as Permissions);
}

/** Every record of an account, oldest first, as [kind, record]: what a compacted state file holds. */
export function* recordsOf(account: Account): Generator<[string, { id: string }]> {
  for (const kind of COLLECTIONS) for (const record of collectionOf(account, kind).oldestFirst()) yield [kind, record];
  for (const entry of account.idempotency.savedKeys()) yield ['idempotency', entry];
}
