import { hashPassword } from '../src/auth/passwords.js';
import { createSession } from '../src/auth/sessions.js';
import { percentile, startBenchPaygraph, startBenchReceiver, until, type BenchPostgres } from './harness.js';

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
  const user = await app.db.user.create({ data: { name: 'Bench', email: `bench-${Date.now()}-${Math.random()}@example.com`, passwordHash: await hashPassword('benchmark') } });
  return { user, token: await createSession(app.db, user.id, 1) };
}

/** One purchase at a time on an idle queue: from the transaction's commit to the receiver's first byte. */
export async function measurePaygraphLatency(postgres: BenchPostgres) {
  const arrivals = new Map<string, number>();
  const receiver = await startBenchReceiver((body, at) => arrivals.set(JSON.parse(body).event.nodeId, at));
  const app = await startBenchPaygraph(await postgres.database(), callbackYaml(receiver.url));
  const { user } = await seedUser(app);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES + 10; i++) {
    const purchase = await app.db.$transaction(async (tx) => {
      const row = await tx.purchase.create({ data: { amount: 100, description: 'latency', userId: user.id } });
      await app.events.record(tx, { model: 'Purchase', operation: 'created', node: row });
      return row;
    });
    const committedAt = performance.now();
    await until(() => arrivals.has(purchase.id));
    if (i >= 10) samples.push(arrivals.get(purchase.id)! - committedAt); // the first few warm up connections
  }
  await app.stop();
  await receiver.close();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** A backlog of events committed with no worker running, then drained: deliveries per second. */
export async function measurePaygraphRate(postgres: BenchPostgres) {
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
  const startedAt = performance.now();
  const worker = await startBenchPaygraph(databaseUrl, callbackYaml(receiver.url), { api: false, worker: true });
  await until(() => received >= RATE_DELIVERIES);
  const rate = RATE_DELIVERIES / ((performance.now() - startedAt) / 1000);
  await worker.stop();
  await receiver.close();
  return rate;
}

