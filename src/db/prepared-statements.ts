import { createHash } from 'node:crypto';

// Each name is a statement PostgreSQL keeps per connection; texts beyond this many go unnamed.
const MAX_NAMED = 500;
const names = new Map<string, string>();

/**
 * A name for the statement `text`, so each connection parses and plans it once instead of on every
 * request (Prisma's own engine prepared its statements the same way). Named from a hash of the text:
 * two texts never share a name. '' (unnamed, parsed each time) once MAX_NAMED texts have names.
 */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMED) return '';
    name = `pg_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}
