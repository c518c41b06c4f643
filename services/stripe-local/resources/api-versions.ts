import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { invalidRequest } from '../errors.js';
import type { Account } from './account.js';

/**
 * The version the installed `stripe` SDK pins and sends: every account's default, as a new Stripe account's is.
 * Read from the SDK's own one-line module (what `Stripe.API_VERSION` is): loading the whole SDK would double the
 * emulator's start time.
 */
export const SDK_API_VERSION = sdkApiVersion();

function sdkApiVersion(): string {
  const require = createRequire(import.meta.url);
  return (require(join(dirname(require.resolve('stripe')), 'apiVersion.js')) as { ApiVersion: string }).ApiVersion;
}

/**
 * Stripe's API versions (docs/upgrades), from 2020-03-02 on: every version the stripe-node SDK has pinned
 * (its CHANGELOG.md, "Update API version to …") and the older ones docs/upgrades lists back to then.
 * Named since 2024-09-30 (`.acacia`, `.basil`, …). Older versions are refused: their objects differ in
 * ways the emulator does not render (README, "Where the local Stripe differs").
 */
const RELEASES = [
  '2020-03-02',
  '2020-08-27',
  '2022-08-01',
  '2022-11-15',
  '2023-08-16',
  '2023-10-16',
  '2024-04-10',
  '2024-06-20',
  '2024-09-30.acacia',
  '2024-10-28.acacia',
  '2024-11-20.acacia',
  '2024-12-18.acacia',
  '2025-01-27.acacia',
  '2025-02-24.acacia',
  '2025-03-31.basil',
  '2025-04-30.basil',
  '2025-05-28.basil',
  '2025-06-30.basil',
  '2025-07-30.basil',
  '2025-08-27.basil',
  '2025-09-30.clover',
  '2025-10-29.clover',
  '2025-11-17.clover',
  '2025-12-15.clover',
  '2026-01-28.clover',
  '2026-02-25.clover',
  '2026-03-25.dahlia',
  '2026-04-22.dahlia',
  '2026-05-27.dahlia',
  '2026-06-24.dahlia',
  '2026-07-29.dahlia',
  '2026-08-26.dahlia',
  '2026-09-30.endive',
  '2026-10-28.endive',
];

/** By release date and by full name: `2024-09-30` and `2024-09-30.acacia` are the same version. */
const known = new Map<string, string>();
for (const release of new Set([...RELEASES, SDK_API_VERSION])) {
  known.set(release, release);
  known.set(release.slice(0, 10), release);
}

/** The versions the emulator accepts, oldest first (the fidelity test and the README name them). */
export const knownApiVersions: readonly string[] = [...new Set(known.values())].sort();

/**
 * A `Stripe-Version` header or a version parameter as its full name (`2024-09-30` → `2024-09-30.acacia`);
 * anything else, a wrong name included (`2024-09-30.basil`), is Stripe's 400 "Invalid Stripe API version".
 */
export function apiVersionNamed(value: string, param?: string): string {
  const release = known.get(value.trim());
  if (!release) throw invalidRequest(`Invalid Stripe API version: ${value}`, param ? { param } : {});
  return release;
}

/** Whether `version` is older than the change released on `date` (YYYY-MM-DD): it still has the old behaviour. */
export const before = (version: string, date: string) => version.slice(0, 10) < date;

/** Automatic payment methods on by default for intents without `payment_method_types` (changelog 2023-08-16). */
export const AUTOMATIC_PAYMENT_METHODS_DEFAULT = '2023-08-16';
/** `charge.refunds` only when expanded, `payment_intent.charges` gone for `latest_charge` (changelog 2022-11-15). */
export const CHARGE_REFUNDS_EXPANDABLE = '2022-11-15';

type LegacyRender = (account: Account, record: { id: string }) => object;
const legacyFields: { objectType: string; field: string; removedIn: string; render: LegacyRender }[] = [];

/** A field every object of a type carried before the version `removedIn` (an older request still gets it). */
export function registerLegacyField(objectType: string, field: string, removedIn: string, render: LegacyRender) {
  legacyFields.push({ objectType, field, removedIn, render });
}

/**
 * A response or event in the shape of `version`: the fields older versions always carried, at any depth
 * (expanded objects and lists too). Today's versions need nothing, so their objects are left untouched.
 */
export function shapeForVersion<T extends object>(
  account: Account,
  original: T,
  version: string,
  { copy = false } = {},
): T {
  const fields = legacyFields.filter((legacy) => before(version, legacy.removedIn));
  if (fields.length === 0) return original;
  const body = copy ? structuredClone(original) : original;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const legacy of fields)
      if (record.object === legacy.objectType && !(legacy.field in record) && typeof record.id === 'string')
        record[legacy.field] = legacy.render(account, record as { id: string });
    Object.values(record).forEach(visit);
  };
  visit(body);
  return body;
}
