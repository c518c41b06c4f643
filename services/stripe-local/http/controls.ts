import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import type { Account } from '../resources/account.js';
import { apiVersionNamed } from '../resources/api-versions.js';
import { integer, oneOf, parse } from './params.js';
import { resourceMissing } from '../errors.js';
import { paymentIntentOf, settleProcessingPayment } from '../resources/payment-intents.js';
import { settleRefund } from '../resources/refunds.js';
import type { Route } from './router.js';

/**
 * The test-only control path. It exists only when the server is started with controls on (never in
 * production, see run.ts), and like every path it answers only `sk_test_` keys; it acts on the
 * calling key's account alone, so test suites sharing one server cannot disturb each other.
 */
export const CONTROL_PATH = '/v1/test_helpers/stripe_local';

export interface ControlTarget {
  /** Deliver whatever webhook retries the moved clock made due. */
  clockMoved(): void;
  accountCount(): number;
}

const faultParams = z.strictObject({
  count: integer.refine((value) => value >= 1 && value <= 10_000, {
    message: 'Invalid count: between 1 and 10000',
    params: { stripeCode: 'parameter_invalid_integer' },
  }),
  status: oneOf(['429', '500']).optional(),
  delay_ms: integer
    .refine((value) => value >= 0 && value <= 60_000, {
      message: 'Invalid delay_ms: between 0 and 60000',
      params: { stripeCode: 'parameter_invalid_integer' },
    })
    .optional(),
  path: z.string().optional(),
});

// Stripe's documented Refund.failure_reason values.
const REFUND_FAILURE_REASONS = [
  'charge_for_pending_refund_disputed',
  'declined',
  'expired_or_canceled_card',
  'insufficient_funds',
  'lost_or_stolen_card',
  'merchant_request',
  'unknown',
];

const renderFaults = (account: Account) => ({
  object: 'stripe_local.faults',
  data: account.faults.map(({ remaining, status, delayMs, path }) => ({
    remaining,
    status: status ?? null,
    delay_ms: delayMs,
    path: path ?? null,
  })),
});
const renderClock = (account: Account) => ({
  object: 'stripe_local.clock',
  now: account.seconds(),
  now_ms: account.now(),
});

export function controlRoutes(target: ControlTarget): Route[] {
  return [
    {
      method: 'POST',
      path: `${CONTROL_PATH}/faults`,
      handler({ account, params }) {
        const input = parse(faultParams, params);
        account.faults.push({
          remaining: input.count,
          delayMs: input.delay_ms ?? 0,
          ...(input.status && { status: Number(input.status) as 429 | 500 }),
          ...(input.path && { path: input.path }),
        });
        return renderFaults(account);
      },
    },
    {
      method: 'DELETE',
      path: `${CONTROL_PATH}/faults`,
      handler({ account }) {
        account.faults.length = 0;
        return renderFaults(account);
      },
    },
    { method: 'GET', path: `${CONTROL_PATH}/clock`, handler: ({ account }) => renderClock(account) },
    {
      method: 'POST',
      path: `${CONTROL_PATH}/clock/advance`,
      handler({ account, params }) {
        const { seconds } = parse(
          z.strictObject({
            seconds: integer.refine((value) => value > 0, {
              message: 'Invalid seconds: must be positive',
              params: { stripeCode: 'parameter_invalid_integer' },
            }),
          }),
          params,
        );
        account.advanceClock(seconds * 1000);
        target.clockMoved();
        return renderClock(account);
      },
    },
    {
      method: 'POST',
      path: `${CONTROL_PATH}/webhook_order`,
      handler({ account, params }) {
        account.webhookOrder = parse(z.strictObject({ order: oneOf(['in_order', 'reversed']) }), params).order;
        return { object: 'stripe_local.webhook_order', order: account.webhookOrder };
      },
    },
    {
      // Stripe enables raw card data per account on request; a test that needs numbers turns it on for its key.
      method: 'POST',
      path: `${CONTROL_PATH}/account/raw_card_data`,
      handler({ account, params }) {
        const { enabled } = parse(z.strictObject({ enabled: oneOf(['true', 'false']) }), params);
        account.rawCardData = enabled === 'true';
        return { object: 'stripe_local.raw_card_data', enabled: account.rawCardData };
      },
    },
    {
      // The account's default API version, as its Dashboard's "Upgrade" sets it (docs/upgrades).
      method: 'POST',
      path: `${CONTROL_PATH}/account/api_version`,
      handler({ account, params }) {
        const { version } = parse(z.strictObject({ version: z.string() }), params);
        account.apiVersion = apiVersionNamed(version, 'version');
        return { object: 'stripe_local.api_version', version: account.apiVersion };
      },
    },
    {
      // A payment on a delayed-settlement card (`pm_card_delayedSettlement`) ends: its charge and event.
      method: 'POST',
      path: `${CONTROL_PATH}/payment_intents/:id/settle`,
      handler({ account, path, params }) {
        const { outcome } = parse(z.strictObject({ outcome: oneOf(['succeeded', 'failed']) }), params);
        return settleProcessingPayment(account, paymentIntentOf(account, path.id!), outcome);
      },
    },
    {
      // A refund of `pm_card_pendingRefund` or `pm_card_refundFail` ends: its status and events.
      method: 'POST',
      path: `${CONTROL_PATH}/refunds/:id/settle`,
      handler({ account, path, params }) {
        const input = parse(
          z.strictObject({
            outcome: oneOf(['succeeded', 'failed']),
            failure_reason: oneOf(REFUND_FAILURE_REASONS).optional(),
          }),
          params,
        );
        const refund = account.refunds.get(path.id!);
        if (!refund) throw resourceMissing('refund', path.id!);
        return settleRefund(account, refund, input.outcome, input.failure_reason);
      },
    },
    {
      method: 'GET',
      path: `${CONTROL_PATH}/stats`,
      handler: ({ account }) => ({
        object: 'stripe_local.stats',
        memory: memoryAfterCollection(),
        accounts: target.accountCount(),
        account: {
          customers: account.customers.size,
          payment_intents: account.paymentIntents.size,
          charges: account.charges.size,
          events: account.events.size,
        },
      }),
    },
  ];
}

/** Memory with garbage collected first, so heap figures count what is kept, not what awaits collection. */
function memoryAfterCollection(): NodeJS.MemoryUsage {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage();
}

/** The fault that applies to this request, used up by it. */
export function takeFault(account: Account, pathname: string): { status?: 429 | 500; delayMs: number } | null {
  const index = account.faults.findIndex((fault) => fault.path === undefined || pathname.startsWith(fault.path));
  if (index < 0) return null;
  const fault = account.faults[index]!;
  if (--fault.remaining === 0) account.faults.splice(index, 1);
  return { delayMs: fault.delayMs, ...(fault.status && { status: fault.status }) };
}
