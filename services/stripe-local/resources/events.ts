import type { Account } from './account.js';
import type { Stored } from '../collection.js';
import { newId } from '../ids.js';

/** An event as sent: kept as its JSON text, the compact form, since it never changes. */
export interface EventRecord extends Stored {
  type: string;
  json: string;
}

/** The API version the emulator speaks: the one the installed `stripe` SDK pins. */
export const API_VERSION = '2026-10-28.endive';

/** Records a state change as Stripe's Event, with a snapshot of the object, and hands it to webhook delivery. */
export function emit(
  account: Account,
  type: string,
  object: object,
  previousAttributes?: Record<string, unknown>,
): EventRecord {
  const eventId = newId('evt');
  const created = account.seconds();
  const event = {
    id: eventId,
    object: 'event',
    api_version: API_VERSION,
    created,
    data: { object, ...(previousAttributes && { previous_attributes: previousAttributes }) },
    livemode: false,
    pending_webhooks: 0,
    request: account.request,
    type,
  };
  const record = account.events.add({ id: eventId, created, type, json: JSON.stringify(event) });
  account.hooks.onEvent(account, record);
  return record;
}

export const renderEvent = (record: EventRecord): object => JSON.parse(record.json);
