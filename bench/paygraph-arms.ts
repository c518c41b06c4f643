import { hashPassword } from '../src/auth/passwords.js';
import { createSession } from '../src/auth/sessions.js';
import pg from 'pg';
import { profiled } from './cpu-profile.js';
import { cpuBetween, sampleCpu } from './cpu-time.js';
import { eventually } from '../packages/testing/eventually.js';
import { BENCH_WAIT, percentile, startBenchPaygraph, startBenchReceiver, type BenchPostgres } from './harness.js';

/** Paygraph's own arms of the callback benchmarks, shared by bench:callbacks and bench:peers. */
export const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
export const RATE_DELIVERIES = Number(process.env.BENCH_RATE_DELIVERIES ?? 5000);

export const callbackYaml = (url: string) => `callbacks:
  chargePurchase:
    trigger: Purchase.created
    url: ${url}
    payload: "{ createdNode { id amount currency description isPaid user { id stripeId } } }"
`;

export async function seedUser(app: Awaited<ReturnType<typeof startBenchPaygraph>>) {
  const user = await app.db.user.create({
    data: {
      name: 'Bench',
      email: `bench-${Date.now()}-${Math.random()}@example.com`,
      passwordHash: await hashPassword('benchmark'),
    },
  });
  return { user, token: await createSession(app.db, user.id, 1) };
}

/** One purchase at a time on an idle queue: from the transaction's commit to the receiver's first byte. */
export async function measurePaygraphLatency(postgres: BenchPostgres, profile?: string) {
  const arrivals = new Map<string, number>();
  const receiver = await startBenchReceiver((body, at) => arrivals.set(JSON.parse(body).event.nodeId, at));
  const app = await startBenchPaygraph(await postgres.database(), callbackYaml(receiver.url));
  const { user } = await seedUser(app);
  const samples: number[] = [];
  await profiled(profile, async () => {
    for (let i = 0; i < LATENCY_SAMPLES + 10; i++) {
      const purchase = await app.db.$transaction(async (tx) => {
        const row = await tx.purchase.create({ data: { amount: 100, description: 'latency', userId: user.id } });
        await app.events.record(tx, { model: 'Purchase', operation: 'created', node: row });
        return row;
      });
      const committedAt = performance.now();
      await eventually(() => arrivals.has(purchase.id), Boolean, BENCH_WAIT);
      if (i >= 10) samples.push(arrivals.get(purchase.id)! - committedAt); // the first few warm up connections
    }
  });
  await app.stop();
  await receiver.close();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** A backlog of events committed with no worker running, then drained: deliveries per second. */
export const measurePaygraphRate = async (postgres: BenchPostgres) => (await measurePaygraphDrain(postgres)).rate;

/** The same drain, with the CPU it took per delivery; `profile`: a CPU profile of it is written there. */
export async function measurePaygraphDrain(postgres: BenchPostgres, profile?: string): Promise<Drain> {
  let received = 0;
  const receiver = await startBenchReceiver(() => received++);
  const databaseUrl = await postgres.database();
  const producer = await startBenchPaygraph(databaseUrl, callbackYaml(receiver.url), { api: false, worker: false });
  const { user } = await seedUser(producer);
  const batch = 100;
  for (let i = 0; i < RATE_DELIVERIES; i += batch) {
    await producer.db.$transaction(async (tx) => {
      for (let j = 0; j < batch; j++) {
        const row = await tx.purchase.create({ data: { amount: 100, description: 'rate', userId: user.id } });
        await producer.events.record(tx, { model: 'Purchase', operation: 'created', node: row });
      }
    });
  }
  await producer.stop();
  const { started: worker, ...drain } = await timeDrain(
    databaseUrl,
    RATE_DELIVERIES,
    () => received,
    profile,
    () => startBenchPaygraph(databaseUrl, callbackYaml(receiver.url), { api: false, worker: true }),
  );
  await worker.stop();
  await receiver.close();
  return drain;
}

export interface Drain {
  rate: number;
  /** CPU milliseconds per delivery of this process and of the PostgreSQL server: steadier than the rate on a shared machine. */
  nodeMs: number;
  postgresMs: number;
}

/** Times a drain of `count` deliveries from `start` (which starts the consumer) to the last arrival. */
export async function timeDrain<T>(
  databaseUrl: string,
  count: number,
  received: () => number,
  profile: string | undefined,
  start: () => Promise<T>,
): Promise<Drain & { started: T }> {
  const cpuPool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const before = await sampleCpu(cpuPool);
    const startedAt = performance.now();
    const started = await profiled(profile, async () => {
      const started = await start();
      await eventually(() => received() >= count, Boolean, { ...BENCH_WAIT, timeoutMs: 300_000 });
      return started;
    });
    const rate = count / ((performance.now() - startedAt) / 1000);
    const cpu = cpuBetween(before, await sampleCpu(cpuPool));
    return { rate, nodeMs: cpu.nodeMs / count, postgresMs: cpu.postgresMs / count, started };
  } finally {
    await cpuPool.end();
  }
}
