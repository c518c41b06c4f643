import { z } from 'zod';
import { resourceMissing } from '../errors.js';
import { renderEvent } from '../resources/events.js';
import { listShape, oneOf, parse, stringArray } from './params.js';
import type { Route } from './router.js';

const listEvents = z.strictObject({
  ...listShape,
  type: z.string().optional(),
  types: stringArray.optional(),
  delivery_success: oneOf(['true', 'false']).optional(),
});

/** `charge.*` style patterns, as Stripe's `type` filter takes them. */
function typeMatcher(patterns: string[]): (type: string) => boolean {
  const expressions = patterns.map(
    (pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
  );
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
