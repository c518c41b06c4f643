import type { Account } from './account.js';
import type { Stored } from './collection.js';
import { resourceMissing } from './errors.js';
import { newId } from './ids.js';
import { listShape, oneOf, parse, stringArray } from './params.js';
import type { Route } from './router.js';
import { z } from 'zod';

/** An event as sent: kept as its JSON text, the compact form, since it never changes. */
export interface EventRecord extends Stored {
  type: string;
  json: string;
}

/** The API version the emulator speaks: the one the installed `stripe` SDK pins. */
export const API_VERSION = '2026-10-28.endive';

/** Records a state change as Stripe's Event, with a snapshot of the object, and hands it to webhook delivery. */
export function emit(account: Account, type: string, object: object, previousAttributes?: Record<string, unknown>): EventRecord {
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

const listEvents = z.strictObject({ ...listShape, type: z.string().optional(), types: stringArray.optional(), delivery_success: oneOf(['true', 'false']).optional() });

/** `charge.*` style patterns, as Stripe's `type` filter takes them. */
function typeMatcher(patterns: string[]): (type: string) => boolean {
  const expressions = patterns.map((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (type) => expressions.some((expression) => expression.test(type));
}

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/events',
    handler({ account, params }) {
      const query = parse(listEvents, params);
      const patterns = [...(query.type ? [query.type] : []), ...(query.types ?? [])];
      const matches = patterns.length > 0 ? typeMatcher(patterns) : () => true;
      return account.events.list(query, '/v1/events', renderEvent, (event) => matches(event.type));
    },
  },
  {
    method: 'GET',
    path: '/v1/events/:id',
    handler({ account, path, params }) {
      parse(z.strictObject({}), params);
      const event = account.events.get(path.id!);
      if (!event) throw resourceMissing('event', path.id!);
      return renderEvent(event);
    },
  },
];
