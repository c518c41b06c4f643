import { createAccessToken } from '../src/auth/access-tokens.js';
import { cpuBetween, sampleCpu } from './cpu-time.js';
import { median, round, startBenchPaygraph, startBenchPostgres, startBenchReceiver } from './harness.js';
import { callbackYaml, measurePaygraphLatency, measurePaygraphRate, seedUser } from './paygraph-arms.js';

/**
 * npm run bench:callbacks: commit-to-receiver latency on an idle queue, sustained delivery rate,
 * and the outbox's cost to mutation throughput. Every figure is a median over ROUNDS runs.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MUTATION_SECONDS = Number(process.env.BENCH_MUTATION_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SLICES = Number(process.env.BENCH_MUTATION_SLICES ?? 10);

const postgres = await startBenchPostgres();
const results: Record<string, number[]> = {
  p50: [],
  p99: [],
  rate: [],
  withNone: [],
  withOne: [],
  ratio: [],
  cpuNone: [],
  cpuOne: [],
  cpuRatio: [],
};

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const latency = await measurePaygraphLatency(postgres);
    results.p50!.push(latency.p50);
    results.p99!.push(latency.p99);
    results.rate!.push(await measurePaygraphRate(postgres));
    const { none, one, cpuNone, cpuOne } = await measureMutations(round % 2 === 0);
    results.withNone!.push(none);
    results.withOne!.push(one);
    results.ratio!.push(one / none);
    results.cpuNone!.push(cpuNone);
    results.cpuOne!.push(cpuOne);
    results.cpuRatio!.push(cpuNone / cpuOne);
    console.log(
      `round ${round}: latency p50 ${round1(latency.p50)} ms p99 ${round1(latency.p99)} ms | ` +
        `rate ${round1(results.rate!.at(-1)!)} deliveries/s | mutations/s none ${round1(none)} one ${round1(one)} (${round1((100 * one) / none)}%) | ` +
        `CPU ms each none ${round2(cpuNone)} one ${round2(cpuOne)} (${round1((100 * cpuNone) / cpuOne)}%)`,
    );
  }
  console.log(`
Medians over ${ROUNDS} rounds (${process.env.CI ? 'CI' : 'this machine'}, ${(await import('node:os')).cpus().length} cores):
  commit-to-receiver latency, idle queue   p50 ${round1(median(results.p50!))} ms   p99 ${round1(median(results.p99!))} ms   (target p50 < 10, p99 < 50)
  sustained delivery rate (backlog drain)  ${round1(median(results.rate!))} deliveries/s   (target >= 500)
  createPurchase throughput, no callback   ${round1(median(results.withNone!))} mutations/s
  createPurchase throughput, one callback  ${round1(median(results.withOne!))} mutations/s
  outbox cost ratio (one / none)           ${round1(100 * median(results.ratio!))}%   (target >= 92%, issue 12)
  CPU ms per mutation (this process + PostgreSQL)  none ${round2(median(results.cpuNone!))}   one ${round2(median(results.cpuOne!))}   ratio ${round1(100 * median(results.cpuRatio!))}%
  every round, outbox cost ratio: ${results.ratio!.map((r) => `${round1(100 * r)}%`).join(', ')}; by CPU: ${results.cpuRatio!.map((r) => `${round1(100 * r)}%`).join(', ')}`);
} finally {
  await postgres.stop();
}

function round1(value: number) {
  return round(value, 1);
}

function round2(value: number) {
  return round(value, 2);
}

/**
 * createPurchase over HTTP from CONCURRENCY clients, API only, to two APIs side by side: one with no
 * callback, one with one callback (the outbox write is all that differs). On a shared machine the
 * load drifts by more than the difference measured, so the arms take turns in short slices
 * (SLICES of each, MUTATION_SECONDS in all per arm) and each arm's rate is its total over its slices.
 * Each arm's CPU milliseconds per mutation (this process, clients included, and PostgreSQL) are summed
 * over its slices too: the steadier figure when other work steals the cores.
 */
async function measureMutations(oneFirst: boolean) {
  const receiver = await startBenchReceiver(() => undefined);
  const arms = await Promise.all(
    [false, true].map(async (withCallback) => {
      const app = await startBenchPaygraph(
        await postgres.database(),
        withCallback ? callbackYaml(receiver.url) : 'callbacks: {}\n',
        { api: true, worker: false },
      );
      const { user, token } = await seedUser(app);
      await createAccessToken(app.db, 'bench', ['nodes:read']);
      const body = JSON.stringify({
        query:
          'mutation($u: ID!) { createPurchase(amount: 50000, description: "A new laptop", isPaid: false, userId: $u) { id } }',
        variables: { u: user.id },
      });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const post = () => fetch(`${app.url}/graphql`, { method: 'POST', headers, body }).then((r) => r.json());
      for (let i = 0; i < 50; i++) await post();
      return { app, post, done: 0, seconds: 0, cpuMs: 0 };
    }),
  );
  const [none, one] = arms as [(typeof arms)[number], (typeof arms)[number]];
  const order = oneFirst ? [one, none] : [none, one];
  for (let slice = 0; slice < SLICES; slice++) {
    for (const arm of order) {
      const deadline = performance.now() + (MUTATION_SECONDS * 1000) / SLICES;
      const startedAt = performance.now();
      const cpuBefore = await sampleCpu(arm.app.pool);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < deadline) {
            const result = (await arm.post()) as { errors?: unknown };
            if (result.errors) throw new Error(JSON.stringify(result.errors));
            arm.done++;
          }
        }),
      );
      arm.seconds += (performance.now() - startedAt) / 1000;
      const cpu = cpuBetween(cpuBefore, await sampleCpu(arm.app.pool));
      arm.cpuMs += cpu.nodeMs + cpu.postgresMs;
    }
  }
  for (const arm of arms) await arm.app.stop();
  await receiver.close();
  return {
    none: none.done / none.seconds,
    one: one.done / one.seconds,
    cpuNone: none.cpuMs / none.done,
    cpuOne: one.cpuMs / one.done,
  };
}
