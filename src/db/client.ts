import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, Prisma } from '../generated/prisma/client.js';
import { statementName } from './prepared-statements.js';
import { WriteBehindClient } from './write-behind.js';

export type { PrismaClient };
export type Db = PrismaClient;

export type Tx = Prisma.TransactionClient;

/**
 * `api`: the API's client, whose mutation transactions send their unread statements with the next
 * (./write-behind.ts) and whose statements are prepared once per connection (./prepared-statements.ts).
 */
export function createPrismaClient(databaseUrl: string, maxConnections = 10, { api = false } = {}): PrismaClient {
  const pool = { connectionString: databaseUrl, max: maxConnections, ...(api ? { Client: WriteBehindClient } : {}) };
  const options = api ? { statementNameGenerator: (query: { sql: string }) => statementName(query.sql) } : {};
  return new PrismaClient({ adapter: new PrismaPg(pool, options) });
}
