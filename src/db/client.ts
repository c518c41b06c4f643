import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import { statementName } from './prepared-statements.js';
import { WriteBehindClient } from './write-behind.js';

export type { PrismaClient };
export type Db = PrismaClient;

export type Tx = Prisma.TransactionClient;

/**
 * `api`: the API's client, whose mutation transactions send their unread statements with the next
 * (./write-behind.ts). `preparedStatements`: each connection parses and plans a statement once
 * (./prepared-statements.ts), the API's and the worker's payload reads alike; off behind a PgBouncer
 * in transaction mode before 1.21, which hands a connection's named statements to other clients.
 */
export function createPrismaClient(
  databaseUrl: string,
  maxConnections = 10,
  { api = false, preparedStatements = false } = {},
): PrismaClient {
  // The pool hands its config to each client it makes: the statements written behind are named, or not, as Prisma's are.
  const pool = {
    connectionString: databaseUrl,
    max: maxConnections,
    ...(api ? { Client: WriteBehindClient, nameStatements: preparedStatements } : {}),
  };
  const options = preparedStatements
    ? { statementNameGenerator: (query: { sql: string }) => statementName(query.sql) }
    : {};
  // Minimal, as Prisma already chooses under NODE_ENV=production, whatever the environment: its other
  // formats capture a stack trace at every query to point at the calling line should it fail. Clients
  // never see those messages, and our logs carry the error's own stack.
  return new PrismaClient({ adapter: new PrismaPg(pool, options), errorFormat: 'minimal' });
}
