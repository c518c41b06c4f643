import { z } from 'zod';
import { invalidRequest, resourceMissing } from '../errors.js';
import { newId } from '../ids.js';
import type { Account } from '../resources/account.js';
import { chargeOf, renderCharge, type ChargeRecord } from '../resources/charges.js';
import { emit } from '../resources/events.js';
import { paymentIntentOf } from '../resources/payment-intents.js';
import { renderRefund } from '../resources/refunds.js';
import { id, integer, listShape, mergeMetadata, metadata, oneOf, parse } from './params.js';
import type { Route } from './router.js';

const createParams = z.strictObject({
  charge: id.optional(),
  payment_intent: id.optional(),
  amount: integer.optional(),
  reason: oneOf(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  metadata: metadata.optional(),
});

/** The charge a refund is for: named, or the PaymentIntent's successful charge. */
function refundedCharge(account: Account, input: z.output<typeof createParams>): ChargeRecord {
  if (input.charge !== undefined) return chargeOf(account, input.charge, 'charge');
  if (input.payment_intent === undefined)
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
    });
  const intent = paymentIntentOf(account, input.payment_intent, 'payment_intent');
  const charge =
    intent.status === 'succeeded' && intent.latestCharge ? account.charges.get(intent.latestCharge) : undefined;
  if (!charge) {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      param: 'payment_intent',
      code: 'charge_not_refundable',
    });
  }
  return charge;
}

export const refundRoutes: Route[] = [
  {
    method: 'POST',
    path: '/v1/refunds',
    handler({ account, params }) {
      const input = parse(createParams, params);
      const charge = refundedCharge(account, input);
      if (charge.status !== 'succeeded')
        throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, {
          code: 'charge_not_refundable',
        });
      const remaining = charge.amount - charge.amountRefunded;
      if (remaining === 0)
        throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
      const amount = input.amount ?? remaining;
      if (amount <= 0)
        throw invalidRequest('Invalid positive integer', { param: 'amount', code: 'parameter_invalid_integer' });
      if (amount > remaining) {
        throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
          param: 'amount',
          code: 'amount_too_large',
        });
      }
      const before = charge.amountRefunded;
      charge.amountRefunded += amount;
      const status = charge.saved.card.refund === 'pending' ? 'pending' : 'succeeded';
      const refund = account.refunds.add({
        id: newId('re'),
        created: account.seconds(),
        amount,
        charge,
        reason: input.reason ?? null,
        metadata: mergeMetadata({}, input.metadata),
        status,
        failureReason: null,
      });
      emit(account, 'refund.created', renderRefund(refund));
      emit(account, 'charge.refunded', renderCharge(account, charge), { amount_refunded: before, refunded: false });
      return renderRefund(refund);
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds',
    handler({ account, params }) {
      const query = parse(
        z.strictObject({ ...listShape, charge: id.optional(), payment_intent: id.optional() }),
        params,
      );
      return account.refunds.list(
        query,
        '/v1/refunds',
        renderRefund,
        (refund) =>
          (query.charge === undefined || refund.charge.id === query.charge) &&
          (query.payment_intent === undefined || refund.charge.paymentIntent === query.payment_intent),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/refunds/:id',
    handler({ account, path }) {
      const refund = account.refunds.get(path.id!);
      if (!refund) throw resourceMissing('refund', path.id!);
      return renderRefund(refund);
    },
  },
  {
    method: 'POST',
    path: '/v1/refunds/:id',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ metadata: metadata.optional() }), params);
      const refund = account.refunds.get(path.id!);
      if (!refund) throw resourceMissing('refund', path.id!);
      refund.metadata = mergeMetadata(refund.metadata, input.metadata);
      return renderRefund(refund);
    },
  },
];
