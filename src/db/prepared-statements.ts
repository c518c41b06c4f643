import { createHash } from 'node:crypto';
import pg from 'pg';

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

/**
 * A pg client whose statements with parameters are named by their text, as the Prisma clients' are:
 * the callbacks' own SQL (claims, attempt records) is planned once per connection. Planning the
 * attempt record, a statement of four parts, took about a millisecond of PostgreSQL's time per batch.
 */
export class NamedStatementsClient extends pg.Client {
  // pg's overloads are many; only a text with its values, or a config with values and no name, is named.
  override query(...args: unknown[]): never {
    const [config, values, ...rest] = args;
    const superQuery = (...queryArgs: unknown[]) => (super.query as (...a: unknown[]) => never)(...queryArgs);
    if (typeof config === 'string' && Array.isArray(values)) {
      const name = statementName(config);
      if (name) return superQuery({ name, text: config, values }, ...rest);
    } else if (isUnnamedWithValues(config)) {
      const name = statementName(config.text);
      if (name) return superQuery({ ...config, name }, values, ...rest);
    }
    return superQuery(...args);
  }
}

function isUnnamedWithValues(config: unknown): config is pg.QueryConfig {
  if (typeof config !== 'object' || config === null || typeof (config as { submit?: unknown }).submit === 'function')
    return false;
  const { text, values, name } = config as pg.QueryConfig;
  return typeof text === 'string' && Array.isArray(values) && !name;
}

/**
 * A pg client that sends every statement unnamed, whatever a library asks (rate-limiter-flexible names
 * its own): behind PgBouncer in transaction mode before 1.21, a name prepared on one server connection
 * is missing on the next ("does not exist") or already taken on another ("already exists").
 */
export class UnnamedStatementsClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [config, ...rest] = args;
    const superQuery = (...queryArgs: unknown[]) => (super.query as (...a: unknown[]) => never)(...queryArgs);
    if (isNamed(config)) return superQuery({ ...config, name: undefined }, ...rest);
    return superQuery(...args);
  }
}

function isNamed(config: unknown): config is pg.QueryConfig {
  if (typeof config !== 'object' || config === null || typeof (config as { submit?: unknown }).submit === 'function')
    return false;
  return typeof (config as pg.QueryConfig).name === 'string';
}
