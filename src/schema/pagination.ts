import { z } from 'zod';
import { builder } from './builder.js';

const MAX_PAGE = 1000;

/** Graphcool-style list arguments: `first`, `skip` and an `after` cursor (the last id seen). */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, validate: z.number().int().min(1).max(MAX_PAGE) }),
  skip: t.int({ required: false, validate: z.number().int().min(0) }),
  after: t.id({ required: false }),
}));

export function toPage(args: { first?: number | null; skip?: number | null; after?: string | number | null }) {
  return {
    take: args.first ?? 100,
    skip: (args.skip ?? 0) + (args.after ? 1 : 0),
    ...(args.after ? { cursor: { id: String(args.after) } } : {}),
    orderBy: { id: 'asc' as const },
  };
}
