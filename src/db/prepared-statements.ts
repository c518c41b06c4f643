/** How many distinct statements one process prepares; enough for every query shape Paygraph's resolvers make. */
const MAX_PREPARED = 1_000;

/**
 * Names for Prisma's parameterised statements, so each connection has PostgreSQL parse and plan a
 * statement once and then only binds and executes it (pg keeps the names per connection). Bounded:
 * past MAX_PREPARED distinct texts (an `in` list of yet another length, say) statements run unnamed,
 * so no connection collects prepared statements without end. Statements without parameters (BEGIN,
 * COMMIT) stay on the simple protocol, one message each.
 */
export function preparedStatementNames(max = MAX_PREPARED): (query: { sql: string; args: unknown[] }) => string {
  const names = new Map<string, string>();
  return ({ sql, args }) => {
    if (args.length === 0) return '';
    let name = names.get(sql);
    if (name === undefined && names.size < max) names.set(sql, (name = `paygraph_${names.size}`));
    return name ?? ''; // pg runs a statement with an empty name unnamed
  };
}
