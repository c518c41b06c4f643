/**
 * Who may read a user's data: the user, a service token with nodes:read, or the caller of a
 * mutation that returned it (the mutation's own authScopes already decided that).
 */
export const readableBy = (ownerId: string) =>
  ({ self: ownerId, token: 'nodes:read', $granted: 'mutationResult' }) as const;
