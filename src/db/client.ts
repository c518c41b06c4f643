import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, Prisma } from '../generated/prisma/client.js';
import { statementName } from './prepared-statements.js';
import { WriteBehindClient } from './write-behind.js';

export type { PrismaClient };
export type Db = PrismaClient;

export type Tx = Prisma.TransactionClient;

/**
 * `api`: the API's client, whose mutation transactions send their unread statements with the next
 * (./write-behind.ts) and whose statements are prepared once per connection (./prepared-statements.ts)
 * unless `preparedStatements` is false: a PgBouncer in transaction mode before 1.21 hands a
 * connection's named statements to other clients' connections.
 */
export function createPrismaClient(databaseUrl: string, maxConnections = 10, { api = false, preparedStatements = true } = {}): PrismaClient {
  const pool = { connectionString: databaseUrl, max: maxConnections, ...(api ? { Client: WriteBehindClient } : {}) };
  const options = api && preparedStatements ? { statementNameGenerator: (query: { sql: string }) => statementName(query.sql) } : {};
  // Minimal, as Prisma already chooses under NODE_ENV=production, whatever the environment: its other
  // formats capture a stack trace at every query to point at the calling line should it fail. Clients
  // never see those messages, and our logs carry the error's own stack.
  return new PrismaClient({ adapter: new PrismaPg(pool, options), errorFormat: 'minimal' });
}
