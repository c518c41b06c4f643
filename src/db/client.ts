import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, Prisma } from '../generated/prisma/client.js';
import { WriteBehindClient } from './write-behind.js';

export type { PrismaClient };
export type Db = PrismaClient;

export type Tx = Prisma.TransactionClient;

/** `writeBehind`: the API's client, whose mutation transactions send their unread statements with the next (./write-behind.ts). */
export function createPrismaClient(databaseUrl: string, maxConnections = 10, { writeBehind = false } = {}): PrismaClient {
  const pool = { connectionString: databaseUrl, max: maxConnections, ...(writeBehind ? { Client: WriteBehindClient } : {}) };
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
