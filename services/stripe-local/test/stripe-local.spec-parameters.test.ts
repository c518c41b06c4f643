import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PATH } from '../http/controls.js';
import { apiRoutes } from '../http/server.js';
import { operationOf } from '../spec/validate-params.js';
import { newKey, startEmulator, type Emulator } from './support/harness.js';
import { documentedParams, type DocumentedParam } from './support/spec-walk.js';

/** What a route needs before it reads the rest, beyond what the spec marks required (Stripe needs these too). */
const ROUTE_NEEDS: Record<string, [string, string][]> = {
  'POST /v1/payment_methods': [['type', 'card']],
  'POST /v1/charges': [
    ['amount', '1000'],
    ['currency', 'usd'],
  ],
  'POST /v1/refunds': [['charge', 'ch_missing']],
  'POST /v1/tokens': [
    ['card[number]', '4242424242424242'],
    ['card[exp_month]', '12'],
    ['card[exp_year]', '2040'],
  ],
};

const served = apiRoutes.flat().filter((route) => !route.path.startsWith(CONTROL_PATH));

/** Why the answer shows the parameter was not handled as the spec and not-emulated.ts say, or null. */
function complaintAbout(param: DocumentedParam, status: number, error: Record<string, string> | undefined) {
  if (status >= 500) return `${param.name}: ${status}`;
  if (param.notEmulated)
    return error?.code === 'parameter_not_emulated' && error.param === param.name
      ? null
      : `${param.name}: listed as not emulated, but answered ${error?.code ?? status}`;
  const refused =
    error?.code === 'parameter_unknown' ||
    error?.code === 'parameter_not_emulated' ||
    (error?.code?.startsWith('parameter_') && error.param === param.name);
  return refused ? `${param.name}: ${error!.code} ${error!.param ?? ''} (${error!.message})` : null;
}

describe("stripe-local: every emulated operation against Stripe's spec (spec/stripe-openapi.json)", () => {
  let emulator: Emulator;
  const key = newKey();
  /** One object of each kind, for the `:id` of each route. */
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    emulator = await startEmulator();
    const stripe = emulator.stripe(key);
    const customer = await stripe.customers.create({ source: 'tok_visa' });
    const paymentMethod = await stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    // Paid with the card that opens a dispute: an object for the disputes' routes.
    const disputed = { payment_method: 'pm_card_createDispute', confirm: true };
    const noRedirects = { enabled: true, allow_redirects: 'never' as const };
    const paymentIntent = await stripe.paymentIntents.create({
      ...disputed,
      amount: 2_000,
      currency: 'usd',
      automatic_payment_methods: noRedirects,
    });
    const setupIntent = await stripe.setupIntents.create({ customer: customer.id });
    const refund = await stripe.refunds.create({ payment_intent: paymentIntent.id, amount: 100 });
    const [dispute] = (await stripe.disputes.list()).data;
    const [event] = (await stripe.events.list({ limit: 1 })).data;
    const endpoint = await stripe.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['*'] });
    Object.assign(ids, {
      customers: customer.id,
      sources: customer.default_source as string,
      payment_methods: paymentMethod.id,
      payment_intents: paymentIntent.id,
      setup_intents: setupIntent.id,
      charges: paymentIntent.latest_charge as string,
      refunds: refund.id,
      disputes: dispute!.id,
      events: event!.id,
      webhook_endpoints: endpoint.id,
      tokens: 'tok_visa',
    });
  });
  afterAll(() => emulator.stop());

  /** `/v1/customers/:id/sources/:source` with real ids: each `:name` is the object of the segment before it. */
  const concrete = (path: string) => path.replace(/(\w+)\/:\w+/g, (_match, kind: string) => `${kind}/${ids[kind]}`);

  it.each([
    [
      'an unknown nested parameter',
      '/v1/payment_intents',
      'amount=100&currency=usd&automatic_payment_methods[enable]=true',
      'parameter_unknown',
      'automatic_payment_methods[enable]',
      'Received unknown parameter: automatic_payment_methods[enable]',
    ],
    [
      'a documented parameter not emulated',
      '/v1/payment_intents',
      'amount=100&currency=usd&application_fee_amount=10',
      'parameter_not_emulated',
      'application_fee_amount',
      "application_fee_amount is a parameter of Stripe's API that is not emulated by stripe-local (see its spec/not-emulated.ts).",
    ],
    [
      'a nested one not emulated',
      '/v1/payment_intents',
      'amount=100&currency=usd&payment_method_options[card][moto]=true',
      'parameter_not_emulated',
      'payment_method_options[card][moto]',
      undefined,
    ],
    [
      'a required nested parameter missing',
      '/v1/payment_intents',
      'amount=100&currency=usd&automatic_payment_methods[allow_redirects]=never',
      'parameter_missing',
      'automatic_payment_methods[enabled]',
      'Missing required param: automatic_payment_methods[enabled].',
    ],
    [
      'a value not of the enum',
      '/v1/payment_intents',
      'amount=100&currency=usd&capture_method=later',
      'parameter_invalid_string',
      'capture_method',
      'Invalid capture_method: must be one of automatic, automatic_async, or manual',
    ],
    [
      'an integer that is not one',
      '/v1/refunds',
      'charge=ch_x&amount=1e3',
      'parameter_invalid_integer',
      'amount',
      'Invalid integer: 1e3',
    ],
    [
      'an array that is not one',
      '/v1/webhook_endpoints',
      'url=https://example.com/hook&enabled_events=*',
      'parameter_invalid_string',
      'enabled_events',
      'Invalid array',
    ],
    [
      'an event type Stripe does not have',
      '/v1/webhook_endpoints',
      'url=https://example.com/hook&enabled_events[0]=charge.exploded',
      'parameter_invalid_string',
      'enabled_events[0]',
      undefined,
    ],
  ])('%s: 400 with its code, naming it', async (_case, path, body, code, param, message) => {
    const response = await emulator.raw(path, { key, body });
    expect(response.status).toBe(400);
    expect(response.json().error).toMatchObject({
      type: 'invalid_request_error',
      code,
      param,
      ...(message && { message }),
    });
  });

  it('a request refused for a parameter not emulated saves nothing under its Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `spec-${key}` };
    const refused = await emulator.raw('/v1/customers', { key, headers, body: 'email=a@example.com&tax_exempt=none' });
    expect(refused.json().error?.code).toBe('parameter_not_emulated');
    const retried = await emulator.raw('/v1/customers', { key, headers, body: 'email=a@example.com' });
    expect(retried.status).toBe(200);
    expect(retried.json().email).toBe('a@example.com');
  });

  it('spec/stripe-openapi.json is what spec/extract.ts makes from the installed stripe SDK', async () => {
    const { extractSpec } = await import('../spec/extract.js');
    const kept = readFileSync(new URL('../spec/stripe-openapi.json', import.meta.url), 'utf8');
    expect(kept === extractSpec(), 'stale: run npm -w @paygraph/stripe-local run spec:extract').toBe(true);
  }, 120_000);

  it('every route the emulator serves is an operation of the spec', () => {
    const missing = served.filter((route) => !operationOf(route.method, route.path));
    expect(missing.map((route) => `${route.method} ${route.path}`)).toEqual([]);
    expect(served.length).toBeGreaterThan(50);
  });

  it.each(served.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: each documented parameter is accepted, or refused as not emulated',
    async (_name, route) => {
      const { parameters } = operationOf(route.method, route.path)!;
      const params = documentedParams(parameters).filter((param) => !param.name.startsWith('expand'));
      const wrong = new Map<string, string[]>();
      const accepted = new Set<string>();
      for (const param of params) {
        const top = param.name.split('[')[0]!;
        const needs = (ROUTE_NEEDS[`${route.method} ${route.path}`] ?? []).filter(([name]) => !name.startsWith(top));
        const form = new URLSearchParams([...needs, ...param.pairs]).toString();
        const url = concrete(route.path);
        const response = await emulator.raw(route.method === 'POST' ? url : `${url}?${form}`, {
          method: route.method,
          key,
          ...(route.method === 'POST' && { body: form }),
        });
        const complaint = complaintAbout(
          param,
          response.status,
          response.status >= 400 ? response.json().error : undefined,
        );
        if (complaint === null) accepted.add(param.name);
        else wrong.set(param.name, [...(wrong.get(param.name) ?? []), complaint]);
      }
      // A parameter of several forms (`card`: a token id, or the card's details) is accepted in one of them.
      const otherForm = (name: string) => [...accepted].some((other) => other.startsWith(`${name}[`));
      const alternatives = new Set(params.filter((param) => param.alternative).map((param) => param.name));
      const refused = [...wrong].filter(
        ([name]) => !accepted.has(name) && !(alternatives.has(name) && otherForm(name)),
      );
      expect(refused.flatMap(([, complaints]) => complaints)).toEqual([]);
    },
  );
});
