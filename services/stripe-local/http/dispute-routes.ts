import { z } from 'zod';
import { resourceMissing } from '../errors.js';
import type { Account } from '../resources/account.js';
import { renderDispute, type DisputeRecord } from '../resources/disputes.js';
import { emit } from '../resources/events.js';
import { id, listShape, mergeMetadata, metadata, parse } from './params.js';
import type { Route } from './router.js';

function disputeOf(account: Account, disputeId: string): DisputeRecord {
  const dispute = account.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  return dispute;
}

export const disputeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/v1/disputes',
    handler({ account, params }) {
      const query = parse(
        z.strictObject({ ...listShape, charge: id.optional(), payment_intent: id.optional() }),
        params,
      );
      return account.disputes.list(
        query,
        '/v1/disputes',
        renderDispute,
        (dispute) =>
          (query.charge === undefined || dispute.charge.id === query.charge) &&
          (query.payment_intent === undefined || dispute.charge.paymentIntent === query.payment_intent),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/disputes/:id',
    handler: ({ account, path }) => renderDispute(disputeOf(account, path.id!)),
  },
  {
    method: 'POST',
    path: '/v1/disputes/:id',
    handler({ account, path, params }) {
      const input = parse(z.strictObject({ metadata: metadata.optional() }), params);
      const dispute = disputeOf(account, path.id!);
      dispute.metadata = mergeMetadata(dispute.metadata, input.metadata);
      return renderDispute(dispute);
    },
  },
  {
    method: 'POST',
    path: '/v1/disputes/:id/close',
    handler({ account, path }) {
      const dispute = disputeOf(account, path.id!);
      // Accepting a chargeback loses it; closing an inquiry ends it before any chargeback.
      dispute.status = dispute.status.startsWith('warning_') ? 'warning_closed' : 'lost';
      const rendered = renderDispute(dispute);
      emit(account, 'charge.dispute.closed', rendered);
      return rendered;
    },
  },
];
