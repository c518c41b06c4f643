import { createAccessToken } from '../src/auth/access-tokens.js';
import { hashPassword } from '../src/auth/passwords.js';
import { createSession } from '../src/auth/sessions.js';
import { median, percentile, round, startBenchPaygraph, startBenchPostgres, startBenchReceiver, until } from './harness.js';

/**
 * npm run bench:callbacks: commit-to-receiver latency on an idle queue, sustained delivery rate,
 * and the outbox's cost to mutation throughput. Every figure is a median over ROUNDS runs.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 200);
const RATE_DELIVERIES = Number(process.env.BENCH_RATE_DELIVERIES ?? 5000);
const MUTATION_SECONDS = Number(process.env.BENCH_MUTATION_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const callbackYaml = (url: string) => `callbacks:
  chargePurchase:
    trigger: Purchase.created
    url: ${url}
    payload: "{ createdNode { id amount currency description isPaid user { id stripeId } } }"
`;

const postgres = await startBenchPostgres();
const results: Record<string, number[]> = { p50: [], p99: [], rate: [], withNone: [], withOne: [], ratio: [] };

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const latency = await measureLatency();
    results.p50!.push(latency.p50);
    results.p99!.push(latency.p99);
    results.rate!.push(await measureRate());
    // Alternate which arm goes first, so warm-up and drift do not always favour the same one.
    const [first, second] = round % 2 ? [false, true] : [true, false];
    const a = await measureMutations(first);
    const b = await measureMutations(second);
    const [none, one] = first ? [b, a] : [a, b];
    results.withNone!.push(none);
    results.withOne!.push(one);
    results.ratio!.push(one / none);
    console.log(
      `round ${round}: latency p50 ${round1(latency.p50)} ms p99 ${round1(latency.p99)} ms | ` +
        `rate ${round1(results.rate!.at(-1)!)} deliveries/s | mutations/s none ${round1(none)} one ${round1(one)} (${round1((100 * one) / none)}%)`,
    );
  }
  console.log(`
Medians over ${ROUNDS} rounds (${process.env.CI ? 'CI' : 'this machine'}, ${(await import('node:os')).cpus().length} cores):
  commit-to-receiver latency, idle queue   p50 ${round1(median(results.p50!))} ms   p99 ${round1(median(results.p99!))} ms   (target p50 < 10, p99 < 50)
  sustained delivery rate (backlog drain)  ${round1(median(results.rate!))} deliveries/s   (target >= 500)
  createPurchase throughput, no callback   ${round1(median(results.withNone!))} mutations/s
  createPurchase throughput, one callback  ${round1(median(results.withOne!))} mutations/s
  outbox cost ratio (one / none)           ${round1(100 * median(results.ratio!))}%   (target >= 85%)`);
} finally {
  await postgres.stop();
}

function round1(value: number) {
  return round(value, 1);
}

async function seedUser(app: Awaited<ReturnType<typeof startBenchPaygraph>>) {
  const user = await app.db.user.create({ data: { name: 'Bench', email: `bench-${Date.now()}-${Math.random()}@example.com`, passwordHash: await hashPassword('benchmark') } });
  return { user, token: await createSession(app.db, user.id, 1) };
}

/** One purchase at a time on an idle queue: from the transaction's commit to the receiver's first byte. */
async function measureLatency() {
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
async function measureRate() {
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

/** createPurchase over HTTP from CONCURRENCY clients for MUTATION_SECONDS, API only: the outbox write is all that differs. */
async function measureMutations(withCallback: boolean) {
  const receiver = await startBenchReceiver(() => undefined);
  const app = await startBenchPaygraph(await postgres.database(), withCallback ? callbackYaml(receiver.url) : 'callbacks: {}\n', { api: true, worker: false });
  const { user, token } = await seedUser(app);
  await createAccessToken(app.db, 'bench', ['nodes:read']);
  const body = JSON.stringify({
    query: 'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }',
    variables: { u: user.id },
  });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const post = () => fetch(`${app.url}/graphql`, { method: 'POST', headers, body }).then((r) => r.json());
  for (let i = 0; i < 50; i++) await post();
  let done = 0;
  const deadline = performance.now() + MUTATION_SECONDS * 1000;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const result = (await post()) as { errors?: unknown };
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        done++;
      }
    }),
  );
  const throughput = done / ((performance.now() - startedAt) / 1000);
  await app.stop();
  await receiver.close();
  return throughput;
}
