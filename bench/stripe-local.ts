import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { CONTROL_PATH } from '@paygraph/stripe-local';
import { startLocalStripe } from '../services/lib/local-stripe.js';

/**
 * npm run bench:stripe-local: services/stripe-local as npm start runs it (its own process), driven
 * by 16 concurrent SDK clients each making a customer and confirming a PaymentIntent for it, over
 * and over. Prints payments per second (median of the rounds) in memory and with its state kept in a
 * directory (as `npm start` runs it), the two in alternate rounds, then fills the in-memory account to
 * 100,000 payments and prints the emulator's memory.
 */
const CLIENTS = Number(process.env.BENCH_STRIPE_LOCAL_CLIENTS ?? 16);
const ROUNDS = Number(process.env.BENCH_STRIPE_LOCAL_ROUNDS ?? 5);
const ROUND_SECONDS = Number(process.env.BENCH_STRIPE_LOCAL_ROUND_SECONDS ?? 3);
const PAYMENTS = Number(process.env.BENCH_STRIPE_LOCAL_PAYMENTS ?? 100_000);
const KEY = 'sk_test_bench';

const stateDir = mkdtempSync(path.join(tmpdir(), 'bench-stripe-local-'));
const server = await startLocalStripe();
const kept = await startLocalStripe({ stateDir });
// One connection per client, kept alive, as a service's SDK instance holds it.
const clientsOf = (url: string) =>
  Array.from(
    { length: CLIENTS },
    () =>
      new Stripe(KEY, {
        host: new URL(url).hostname,
        port: Number(new URL(url).port),
        protocol: 'http',
        maxNetworkRetries: 0,
        httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
      }),
  );
const clients = clientsOf(server.url);
let made = 0;

async function pay(stripe: Stripe): Promise<void> {
  const customer = await stripe.customers.create({
    email: `bench${made}@example.com`,
    metadata: { bench: 'stripe-local' },
  });
  const intent = await stripe.paymentIntents.create({
    amount: 2_000,
    currency: 'usd',
    customer: customer.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    off_session: true,
    // As charge-customer pays: the emulator, as Stripe, refuses a confirm that allows redirects without a return_url.
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  if (intent.status !== 'succeeded') throw new Error(`payment ${intent.id} is ${intent.status}`);
  made++;
}

/** Every client pays in a loop until `until()` says stop; answers how many payments were made. */
async function run(until: () => boolean, on = clients): Promise<number> {
  const before = made;
  await Promise.all(
    on.map(async (stripe) => {
      while (!until()) await pay(stripe);
    }),
  );
  return made - before;
}

const rates = { memory: [] as number[], kept: [] as number[] };
const keptClients = clientsOf(kept.url);
for (let round = 0; round < ROUNDS; round++) {
  // Paired: each round measures both, in alternating order, so drift on a shared machine hits both alike.
  const order = round % 2 ? (['kept', 'memory'] as const) : (['memory', 'kept'] as const);
  for (const which of order) {
    const started = performance.now();
    const deadline = started + ROUND_SECONDS * 1000;
    const count = await run(() => performance.now() >= deadline, which === 'kept' ? keptClients : clients);
    rates[which].push(count / ((performance.now() - started) / 1000));
  }
}
const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `stripe-local: ${CLIENTS} concurrent SDK clients, customer + PaymentIntent confirm (off-session, pm_card_visa)`,
);
for (const [which, label] of [
  ['memory', 'in memory'],
  ['kept', 'state kept (STRIPE_LOCAL_DATA_DIR)'],
] as const) {
  const median = medianOf(rates[which]);
  console.log(`  ${label}: rounds (payments/s) ${rates[which].map((rate) => rate.toFixed(0)).join(', ')}`);
  console.log(`    median: ${median.toFixed(0)} payments/s (${(median * 2).toFixed(0)} API requests/s)`);
}
const ratios = rates.kept.map((rate, round) => rate / rates.memory[round]!);
console.log(`  state kept / in memory, paired by round: median ${(medianOf(ratios) * 100).toFixed(0)}%`);
await kept.stop();
rmSync(stateDir, { recursive: true, force: true });

const fillStarted = performance.now();
await run(() => made >= PAYMENTS);
console.log(
  `  filled to ${made.toLocaleString('en')} payments in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`,
);
const stats = (await clients[0]!.rawRequest('GET', `${CONTROL_PATH}/stats`)) as unknown as {
  memory: NodeJS.MemoryUsage;
  account: Record<string, number>;
};
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
console.log(
  `  after ${made.toLocaleString('en')} payments: RSS ${mb(stats.memory.rss)}, heap used ${mb(stats.memory.heapUsed)} (${JSON.stringify(stats.account)})`,
);
await server.stop();
