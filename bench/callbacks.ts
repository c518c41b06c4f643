import { createAccessToken } from '../src/auth/access-tokens.js';
import { median, round, startBenchPaygraph, startBenchPostgres, startBenchReceiver } from './harness.js';
import { callbackYaml, measurePaygraphLatency, measurePaygraphRate, seedUser } from './paygraph-arms.js';

/**
 * npm run bench:callbacks: commit-to-receiver latency on an idle queue, sustained delivery rate,
 * and the outbox's cost to mutation throughput. Every figure is a median over ROUNDS runs.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MUTATION_SECONDS = Number(process.env.BENCH_MUTATION_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

const postgres = await startBenchPostgres();
const results: Record<string, number[]> = { p50: [], p99: [], rate: [], withNone: [], withOne: [], ratio: [] };

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const latency = await measurePaygraphLatency(postgres);
    results.p50!.push(latency.p50);
    results.p99!.push(latency.p99);
    results.rate!.push(await measurePaygraphRate(postgres));
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
