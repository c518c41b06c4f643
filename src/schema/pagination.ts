import { z } from 'zod';
import { builder } from './builder.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-size.js';


/** Graphcool-style list arguments: `first`, `skip` and an `after` cursor (the last id seen). */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, validate: z.number().int().min(1).max(MAX_PAGE_SIZE) }),
  skip: t.int({ required: false, validate: z.number().int().min(0) }),
  after: t.id({ required: false, validate: z.string().max(64) }),
}));

export function toPage(args: { first?: number | null; skip?: number | null; after?: string | number | null }) {
  return {
    take: args.first ?? DEFAULT_PAGE_SIZE,
    skip: (args.skip ?? 0) + (args.after ? 1 : 0),
    ...(args.after ? { cursor: { id: String(args.after) } } : {}),
    orderBy: { id: 'asc' as const },
  };
}
