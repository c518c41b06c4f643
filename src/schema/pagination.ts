import { z } from 'zod';
import { badInput } from '../errors.js';
import { builder } from './builder.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';

/** Graphcool-style list arguments: `first`, `skip` and an `after` cursor (the last id seen). */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, validate: z.number().int().min(1).max(MAX_PAGE_SIZE) }),
  skip: t.int({ required: false, validate: z.number().int().min(0) }),
  after: t.id({ required: false, validate: z.string().max(64) }),
}));

type PageArgs = { first?: number | null; skip?: number | null; after?: string | number | null };

/** How many rows a page holds and how many it passes over. */
export const pageSize = (args: PageArgs) => ({ take: args.first ?? DEFAULT_PAGE_SIZE, skip: args.skip ?? 0 });

/**
 * A page of a list in id order. `after` is a position, not a row: the page holds the listed rows whose
 * id sorts after it. Whether a row has that id, and whose it is, changes nothing, so someone else's
 * id answers exactly as an unknown one does and no row of the list is passed over. (Prisma's `cursor`
 * finds its row outside the list's filter: someone else's id skipped the caller's first row.)
 */
export function toPage<Where extends object>(args: PageArgs, where?: Where) {
  return {
    ...pageSize(args),
    where: { AND: [where ?? {}, args.after ? { id: { gt: String(args.after) } } : {}] },
    orderBy: { id: 'asc' as const },
  };
}

/** Refused as malformed cursors are: a cursor that names no row leaves its list no place to continue from. */
export const invalidCursor = (what: string) =>
  badInput(`No ${what} has this cursor: start again from the first page`, { reason: 'INVALID_CURSOR' });
