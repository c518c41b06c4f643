import type { Db } from '../db/client.js';

type Args = { where?: unknown; select?: Record<string, unknown>; include?: Record<string, unknown> };
type Row = { id: string } & Record<string, unknown>;
type Delegate = { findFirst(args: Args): Promise<unknown>; findMany(args: Args): Promise<Row[]> };

/**
 * The Prisma client payloads are rendered with: a node lookup by id (what the schema's
 * `Purchase(id)`, `User(id)` ... resolve to for system rights: `findFirst({ where: { AND: [{ id },
 * {}] } })`) made in the same turn of the event loop as others with the same selection becomes one
 * `findMany` for all of them. A backlog's payloads then cost a query or two per batch, not per
 * delivery. Anything else passes through untouched.
 */
export function batchNodeLookups(db: Db): Db {
  const delegates = new Map<string, Delegate>();
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || prop.startsWith('$') || !isDelegate(value)) return value;
      let delegate = delegates.get(prop);
      if (!delegate) delegates.set(prop, (delegate = batchedDelegate(value)));
      return delegate;
    },
  });
}

const isDelegate = (value: unknown): value is Delegate =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Delegate).findFirst === 'function' &&
  typeof (value as Delegate).findMany === 'function';

function batchedDelegate(delegate: Delegate): Delegate {
  // Per selection, the ids asked for in this turn and who waits for each.
  const pending = new Map<
    string,
    { args: Args; waiting: Map<string, { resolve(row: Row | null): void; reject(error: unknown): void }[]> }
  >();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batches = [...pending.values()];
    pending.clear();
    for (const { args, waiting } of batches) {
      const ids = [...waiting.keys()];
      delegate.findMany({ ...args, where: { id: { in: ids } } }).then(
        (rows) => {
          const byId = new Map(rows.map((row) => [row.id, row]));
          for (const [id, waiters] of waiting) for (const waiter of waiters) waiter.resolve(byId.get(id) ?? null);
        },
        (error) => {
          for (const waiters of waiting.values()) for (const waiter of waiters) waiter.reject(error);
        },
      );
    }
  };
  return new Proxy(delegate, {
    get(target, prop, receiver) {
      if (prop !== 'findFirst') return Reflect.get(target, prop, receiver);
      return (args: Args) => {
        const id = unconditionalIdLookup(args);
        if (id === null) return target.findFirst(args);
        // The id must come back to match rows to lookups; an extra field is harmless to GraphQL.
        const batchArgs: Args = {
          ...(args.select ? { select: { ...args.select, id: true } } : {}),
          ...(args.include ? { include: args.include } : {}),
        };
        const key = JSON.stringify(batchArgs);
        let batch = pending.get(key);
        if (!batch) pending.set(key, (batch = { args: batchArgs, waiting: new Map() }));
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        return new Promise((resolve, reject) => {
          const waiters = batch.waiting.get(id) ?? [];
          waiters.push({ resolve, reject });
          batch.waiting.set(id, waiters);
        });
      };
    },
  });
}

/** The id of `{ where: { AND: [{ id }, {}] }, select?, include? }`, else null (a lookup we leave alone). */
function unconditionalIdLookup(args: Args): string | null {
  if (!args || Object.keys(args).some((key) => key !== 'where' && key !== 'select' && key !== 'include')) return null;
  const where = args.where as { AND?: unknown } | undefined;
  if (!where || Object.keys(where).length !== 1 || !Array.isArray(where.AND) || where.AND.length !== 2) return null;
  const [byId, rest] = where.AND as [Record<string, unknown>, Record<string, unknown>];
  if (Object.keys(byId).length !== 1 || typeof byId.id !== 'string' || Object.keys(rest).length !== 0) return null;
  return byId.id;
}
