import { z } from 'zod';
import type { CallbackSummary } from '../callbacks/admin.js';
import { CallbackDeliveryStatus } from '../generated/prisma/enums.js';
import { builder } from './builder.js';
import { invalidCursor, pageArgs, pageSize } from './pagination.js';
import { onTransaction } from '../db/queryable.js';
import {
  COUNT_BOUND,
  countHistory,
  historyCursor,
  historyPage,
  type HistoryFilter,
} from '../callbacks/store/delivery-history.js';

// Every field here is for operators holding a token with callbacks:admin.
const admin = { token: 'callbacks:admin' } as const;

const DeliveryStatusEnum = builder.enumType(CallbackDeliveryStatus, { name: 'CallbackDeliveryStatus' });

const CallbackCounts = builder.objectRef<CallbackSummary['stats']['counts']>('CallbackCounts').implement({
  description: 'Deliveries still kept, by status.',
  fields: (t) => ({
    pending: t.exposeInt('pending'),
    delivered: t.exposeInt('delivered'),
    failed: t.exposeInt('failed'),
    dead: t.exposeInt('dead'),
  }),
});

const CallbackRef = builder.objectRef<CallbackSummary>('Callback').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    trigger: t.exposeString('trigger'),
    url: t.exposeString('url', { description: 'The origin only: paths and queries may hold secrets.' }),
    enabled: t.exposeBoolean('enabled'),
    ordered: t.exposeBoolean('ordered'),
    maxAttempts: t.exposeInt('maxAttempts'),
    timeoutMs: t.exposeInt('timeoutMs'),
    counts: t.field({ type: CallbackCounts, resolve: (callback) => callback.stats.counts }),
    failureRate: t.float({
      nullable: true,
      description: 'Failed and dead among finished deliveries, 0 to 1; null when none has finished.',
      resolve: (callback) => callback.stats.failureRate,
    }),
    lastError: t.string({ nullable: true, resolve: (callback) => callback.stats.lastError?.message ?? null }),
    lastErrorAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (callback) => callback.stats.lastError?.at ?? null,
    }),
    disabledReason: t.string({
      nullable: true,
      description:
        'Why Paygraph switched it off by itself: "gone" (the endpoint answered 410) or "failing" (disableAfterFailingFor); null when on or switched off by an operator.',
      resolve: (callback) => callback.condition.disabledReason,
    }),
    failingSince: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The first failed attempt since the last delivered one.',
      resolve: (callback) => callback.condition.failingSince,
    }),
    pausedUntil: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'A Retry-After from the endpoint holds its deliveries until then.',
      resolve: (callback) => callback.condition.pausedUntil,
    }),
    maxInFlight: t.int({ nullable: true, resolve: (callback) => callback.maxInFlight }),
    ratePerSecond: t.float({ nullable: true, resolve: (callback) => callback.ratePerSecond }),
    secretSource: t.string({
      description: '"own" (generated; rotate with npm run callbacks -- rotate) or "callbacks.yml".',
      resolve: (callback) => callback.secretSource,
    }),
  }),
});

builder.prismaObject('CallbackAttempt', {
  authScopes: admin,
  fields: (t) => ({
    attempt: t.exposeInt('attempt'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    durationMs: t.exposeInt('durationMs'),
    httpStatus: t.exposeInt('httpStatus', { nullable: true }),
    response: t.exposeString('response', { nullable: true, description: 'The first 4 KB of the response body.' }),
    error: t.exposeString('error', { nullable: true }),
    outcome: t.exposeString('outcome'),
    requestHeaders: t.string({
      nullable: true,
      description: 'The headers sent, as a JSON object (values of secret-looking custom headers masked).',
      resolve: (attempt) => (attempt.requestHeaders === null ? null : JSON.stringify(attempt.requestHeaders)),
    }),
  }),
});

builder.prismaObject('CallbackDelivery', {
  authScopes: admin,
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the webhook-id header of every attempt.' }),
    callback: t.exposeString('callback'),
    trigger: t.exposeString('trigger'),
    nodeId: t.exposeString('nodeId'),
    changedFields: t.exposeStringList('changedFields'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attempts: t.exposeInt('attempts'),
    maxAttempts: t.exposeInt('maxAttempts'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    payload: t.string({
      nullable: true,
      description: 'The last payload sent, as JSON.',
      resolve: (delivery) => (delivery.payload === null ? null : JSON.stringify(delivery.payload)),
    }),
    attemptLog: t.relation('attemptLog', { query: { orderBy: { attempt: 'asc' } } }),
  }),
});

const deliveryFilterArgs = builder.args((t) => ({
  callback: t.string({ required: false }),
  status: t.field({ type: DeliveryStatusEnum, required: false }),
  nodeId: t.id({ required: false }),
  createdAfter: t.field({ type: 'DateTime', required: false, description: 'Inclusive.' }),
  createdBefore: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
}));

type DeliveryFilter = {
  callback?: string | null;
  status?: CallbackDeliveryStatus | null;
  nodeId?: string | number | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
};

const historyFilter = (args: DeliveryFilter): HistoryFilter => ({
  callback: args.callback ?? null,
  status: args.status ?? null,
  nodeId: args.nodeId ? String(args.nodeId) : null,
  createdAfter: args.createdAfter ?? null,
  createdBefore: args.createdBefore ?? null,
});

builder.queryFields((t) => ({
  callbacks: t.field({
    type: [CallbackRef],
    authScopes: admin,
    resolve: (_root, _args, ctx) => ctx.callbacks.list(),
  }),
  callback: t.field({
    type: CallbackRef,
    nullable: true,
    authScopes: admin,
    description: 'One callback by name (what a CallbackDelivery.disabled payload reads); null for an unknown name.',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      (await ctx.callbacks.list()).find((callback) => callback.name === args.name) ?? null,
  }),
  callbackDeliveries: t.prismaField({
    type: ['CallbackDelivery'],
    authScopes: admin,
    args: {
      ...pageArgs,
      after: t.arg.id({ required: false, validate: z.uuid('Not a delivery id') }),
      ...deliveryFilterArgs,
    },
    description: 'Newest first (by createdAt, then id).',
    resolve: async (query, _root, args, ctx) => {
      const db = onTransaction(ctx.db);
      const after = args.after ? await historyCursor(db, String(args.after)) : null;
      if (args.after && !after) throw invalidCursor('delivery');
      const { take, skip } = pageSize(args);
      const ids = await historyPage(db, historyFilter(args), { after, take, skip });
      const rows = await ctx.db.callbackDelivery.findMany({ ...query, where: { id: { in: ids } } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
  }),
  callbackDeliveryCount: t.int({
    authScopes: admin,
    description: `How many deliveries callbackDeliveries would list with the same filter, over all pages, counted up to ${COUNT_BOUND} (which then means at least that many).`,
    args: deliveryFilterArgs,
    resolve: (_root, args, ctx) => countHistory(onTransaction(ctx.db), historyFilter(args)),
  }),
  callbackDelivery: t.prismaField({
    type: 'CallbackDelivery',
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true, validate: z.uuid('Not a delivery id') }) },
    resolve: (query, _root, args, ctx) =>
      ctx.db.callbackDelivery.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
}));

builder.mutationFields((t) => ({
  redeliverCallback: t.prismaField({
    type: 'CallbackDelivery',
    description: 'Sends a delivery again, whatever its status, with a fresh allowance of attempts.',
    authScopes: admin,
    args: { id: t.arg.id({ required: true, validate: z.uuid('Not a delivery id') }) },
    resolve: async (query, _root, args, ctx) => {
      await ctx.callbacks.within(ctx.db).redeliver(String(args.id));
      return ctx.db.callbackDelivery.findUniqueOrThrow({ ...query, where: { id: String(args.id) } });
    },
  }),
  setCallbackEnabled: t.field({
    type: CallbackRef,
    description: 'A disabled callback records no new events and holds its pending deliveries until enabled.',
    authScopes: admin,
    args: { name: t.arg.string({ required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_root, args, ctx) => ctx.callbacks.within(ctx.db).setEnabled(args.name, args.enabled),
  }),
}));
