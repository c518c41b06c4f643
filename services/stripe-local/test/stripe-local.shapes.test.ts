import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spec } from '../spec/validate-params.js';
import type { ObjectField } from '../spec/trimmed-spec.js';
import { startEmulator, type Emulator } from './support/harness.js';

/** Stripe's published fixtures (openapi/fixtures3.json of stripe/openapi, trimmed; see its `source`). */
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/stripe-fixtures3.json', import.meta.url), 'utf8')) as {
  resources: Record<string, Record<string, unknown>>;
};

/** The installed SDK's type of each object, where `field: X | null` says which fields may be null. */
const TYPES: Record<string, [file: string, name: string]> = {
  customer: ['Customers', 'Customer'],
  payment_method: ['PaymentMethods', 'PaymentMethod'],
  setup_intent: ['SetupIntents', 'SetupIntent'],
  payment_intent: ['PaymentIntents', 'PaymentIntent'],
  charge: ['Charges', 'Charge'],
  refund: ['Refunds', 'Refund'],
  dispute: ['Disputes', 'Dispute'],
  event: ['Events', 'EventBase'],
  webhook_endpoint: ['WebhookEndpoints', 'WebhookEndpoint'],
  card: ['Cards', 'Card'],
  token: ['Tokens', 'Token'],
};
const stripeTypes = path.join(path.dirname(createRequire(import.meta.url).resolve('stripe')), '..', 'esm', 'resources');

function nullableFields(file: string, name: string): Set<string> {
  const text = readFileSync(path.join(stripeTypes, `${file}.d.ts`), 'utf8');
  const body = text.slice(text.indexOf(`export interface ${name} {`)).split('\n}')[0]!;
  const nullable = new Set<string>();
  for (const [, field, type] of body.matchAll(/^ {4}(\w+)\??: ([^\n]*)/gm))
    if (type!.includes('| null')) nullable.add(field!);
  return nullable;
}

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
/** Fields whose contents depend on the object, not the type: their own keys are not compared. */
const FREE_FORM = new Set(['metadata', 'data', 'previous_attributes', 'source', 'request']);

/** Every field of the fixture is present; where both have a value, the types agree; null only where Stripe allows it. */
function shapeProblems(type: string, ours: Record<string, unknown>): string[] {
  const fixture = fixtures.resources[type]!;
  const nullable = nullableFields(...TYPES[type]!);
  const problems: string[] = [];
  for (const [field, expected] of Object.entries(fixture)) {
    if (!(field in ours)) problems.push(`${type}.${field} is missing`);
    else if (ours[field] === null && expected !== null && !nullable.has(field))
      problems.push(`${type}.${field} is null, which Stripe never sends`);
    else if (ours[field] !== null && expected !== null && kind(ours[field]) !== kind(expected))
      problems.push(`${type}.${field} is ${kind(ours[field])}, not ${kind(expected)}`);
    else if (kind(expected) === 'object' && kind(ours[field]) === 'object' && !FREE_FORM.has(field)) {
      for (const key of Object.keys(expected as object))
        if (!(key in (ours[field] as object))) problems.push(`${type}.${field}.${key} is missing`);
    }
  }
  return problems;
}

/** Differences from the spec chosen on purpose, each with its reason (`type.field.key`). */
const DIFFERENT_ON_PURPOSE: Record<string, string> = {};

/** Where our object's fields differ from the spec's schema: a field it always has is missing, or one it never has is there. */
function fieldProblems(fields: Record<string, ObjectField>, ours: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const value = ours[name];
    if (!(name in ours)) {
      if (!field.optional) problems.push(`${at}.${name} is missing`);
    } else if (field.properties && kind(value) === 'object' && !FREE_FORM.has(name))
      problems.push(...fieldProblems(field.properties, value as Record<string, unknown>, `${at}.${name}`));
  }
  for (const name of Object.keys(ours)) if (!(name in fields)) problems.push(`${at}.${name} is not in the spec`);
  return problems.filter((problem) => !(problem.split(' ')[0]! in DIFFERENT_ON_PURPOSE));
}

describe("stripe-local: object shapes against Stripe's published fixtures", () => {
  let emulator: Emulator;
  const objects: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    emulator = await startEmulator();
    const stripe = emulator.stripe();
    const endpoint = await stripe.webhookEndpoints.create({ url: 'https://example.com/hook', enabled_events: ['*'] });
    const customer = await stripe.customers.create({ email: 'shape@example.com', source: 'tok_visa' });
    const paymentMethod = await stripe.paymentMethods.attach('pm_card_createDispute', { customer: customer.id });
    const setupIntent = await stripe.setupIntents.create({
      customer: customer.id,
      payment_method: paymentMethod.id,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const paymentIntent = await stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      customer: customer.id,
      payment_method: paymentMethod.id,
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      off_session: true,
    });
    const refund = await stripe.refunds.create({ charge: paymentIntent.latest_charge as string, amount: 500 });
    // The fixture shows `refunds`, which a charge carries only when expanded since API 2022-11-15.
    const charge = await stripe.charges.retrieve(paymentIntent.latest_charge as string, { expand: ['refunds'] });
    const [dispute] = (await stripe.disputes.list({ charge: charge.id })).data;
    const [event] = (await stripe.events.list({ limit: 1 })).data;
    const card = await stripe.customers.retrieveSource(customer.id, customer.default_source as string);
    await emulator.control(stripe, 'POST', 'account/raw_card_data', { enabled: 'true' });
    const token = await stripe.tokens.create({
      card: { number: '4242424242424242', exp_month: '8', exp_year: '2040', cvc: '123' },
    } as Stripe.TokenCreateParams);
    // Intents in the states that fill next_action and last_payment_error.
    const threeDS = { amount: 2_000, currency: 'usd', payment_method: 'pm_card_threeDSecure2Required', confirm: true };
    const noRedirects = { enabled: true, allow_redirects: 'never' as const };
    const redirect = await stripe.paymentIntents.create({ ...threeDS, return_url: 'https://example.com/back' });
    const sdkAction = await stripe.paymentIntents.create({ ...threeDS, automatic_payment_methods: noRedirects });
    const declined = await stripe.paymentIntents.create({
      amount: 2_000,
      currency: 'usd',
      payment_method: 'pm_card_visa_chargeDeclined',
      automatic_payment_methods: noRedirects,
    });
    await stripe.paymentIntents.confirm(declined.id).catch(() => undefined);
    const setupAction = await stripe.setupIntents.create({
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: 'https://example.com/back',
    });
    const all = {
      'payment_intent requiring 3-D Secure by redirect': redirect,
      'payment_intent requiring 3-D Secure by Stripe.js': sdkAction,
      'payment_intent declined': await stripe.paymentIntents.retrieve(declined.id),
      'setup_intent requiring 3-D Secure': setupAction,
      customer,
      payment_method: paymentMethod,
      setup_intent: setupIntent,
      payment_intent: paymentIntent,
      charge,
      refund,
      dispute,
      event,
      webhook_endpoint: endpoint,
      card,
      token,
    };
    for (const [type, object] of Object.entries(all)) {
      const { lastResponse: _response, ...fields } = object as unknown as Record<string, unknown>;
      objects[type] = fields;
    }
  });
  afterAll(() => emulator.stop());

  it.each(Object.keys(TYPES))("%s has every field of the fixture, with the fixture's types", (type) => {
    const ours = objects[type]!;
    expect(ours.object).toBe(fixtures.resources[type]!.object);
    expect(shapeProblems(type, ours)).toEqual([]);
  });

  it.each([
    ...Object.keys(spec.components.schemas),
    'payment_intent requiring 3-D Secure by redirect',
    'payment_intent requiring 3-D Secure by Stripe.js',
    'payment_intent declined',
    'setup_intent requiring 3-D Secure',
  ])("%s carries exactly the spec's fields, and its nested objects' fields (spec/stripe-openapi.json)", (name) => {
    const type = name.split(' ')[0]!;
    expect(objects[name]!.object).toBe(type);
    expect(fieldProblems(spec.components.schemas[type]!, objects[name]!, type)).toEqual([]);
  });

  it('the spec comparison notices a nested field missing and one the spec does not have', () => {
    const charge = structuredClone(objects.charge!) as { payment_method_details: { card: Record<string, unknown> } };
    delete charge.payment_method_details.card.brand;
    const outcome = { ...(objects.charge!.outcome as object), verdict: 'fine' };
    expect(fieldProblems(spec.components.schemas.charge!, { ...charge, outcome }, 'charge')).toEqual([
      'charge.outcome.verdict is not in the spec',
      'charge.payment_method_details.card.brand is missing',
    ]);
  });

  it('the comparison itself notices a missing field, a wrong type and a null Stripe never sends', () => {
    const { name: _name, ...withoutName } = objects.customer!;
    expect(shapeProblems('customer', { ...withoutName, balance: null, delinquent: 'no', email: null })).toEqual([
      'customer.balance is null, which Stripe never sends',
      'customer.delinquent is string, not boolean',
      'customer.name is missing',
    ]);
  });

  it("ids carry Stripe's prefixes, amounts are integers in the smallest unit, times are Unix seconds", () => {
    const prefixes: Record<string, RegExp> = {
      customer: /^cus_\w+$/,
      payment_method: /^pm_\w{24}$/,
      setup_intent: /^seti_\w{24}$/,
      payment_intent: /^pi_\w{24}$/,
      charge: /^ch_\w{24}$/,
      refund: /^re_\w{24}$/,
      dispute: /^dp_\w{24}$/,
      event: /^evt_\w{24}$/,
      webhook_endpoint: /^we_\w{24}$/,
      card: /^card_\w{24}$/,
      token: /^tok_\w{24}$/,
    };
    for (const [type, pattern] of Object.entries(prefixes)) expect(objects[type]!.id, type).toMatch(pattern);
    for (const type of ['payment_intent', 'charge', 'refund', 'dispute'])
      expect(Number.isInteger(objects[type]!.amount), type).toBe(true);
    const now = Date.now() / 1000;
    for (const type of Object.keys(prefixes))
      if ('created' in objects[type]!)
        expect(Math.abs((objects[type]!.created as number) - now), type).toBeLessThan(60);
  });
});
