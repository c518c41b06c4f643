import type { Context } from './context.js';

/**
 * Who may read a user's data: the user, a service token with nodes:read, or the caller of a
 * mutation that returned it (the mutation's own authScopes already decided that).
 */
export const readableBy = (ownerId: string) =>
  ({ self: ownerId, token: 'nodes:read', $granted: 'mutationResult' }) as const;

/** Queries that find nodes by id or list them: signed-in users and tokens with nodes:read. */
export const findsNodes = { $any: { signedIn: true, token: 'nodes:read' } } as const;

/**
 * The rows such a query looks in, as a Prisma filter on the owner column: a user finds only their
 * own (so someone else's id answers null, exactly as an unknown id does), a nodes:read token all.
 */
export function ownedByCaller<Column extends string>(
  ctx: Context,
  ownerColumn: Column,
): Partial<Record<Column, string>> {
  return ctx.identity.kind === 'user' ? ({ [ownerColumn]: ctx.identity.userId } as Record<Column, string>) : {};
}
