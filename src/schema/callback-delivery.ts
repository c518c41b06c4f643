import { z } from 'zod';
import type { CallbackSummary } from '../callbacks/admin.js';
import { CallbackDeliveryStatus } from '../generated/prisma/enums.js';
import { builder } from './builder.js';
import { pageArgs, toPage } from './pagination.js';

// Every field here is for operators holding a token with callbacks:admin.
const admin = { token: 'callbacks:admin' } as const;

const DeliveryStatusEnum = builder.enumType(CallbackDeliveryStatus, { name: 'CallbackDeliveryStatus' });

const CallbackRef = builder.objectRef<CallbackSummary>('Callback').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    trigger: t.exposeString('trigger'),
    url: t.exposeString('url', { description: 'The origin only: paths and queries may hold secrets.' }),
    enabled: t.exposeBoolean('enabled'),
    ordered: t.exposeBoolean('ordered'),
    maxAttempts: t.exposeInt('maxAttempts'),
    timeoutMs: t.exposeInt('timeoutMs'),
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

builder.queryFields((t) => ({
  callbacks: t.field({
    type: [CallbackRef],
    authScopes: admin,
    resolve: (_root, _args, ctx) => ctx.callbacks.list(),
  }),
  callbackDeliveries: t.prismaField({
    type: ['CallbackDelivery'],
    authScopes: admin,
    args: {
      ...pageArgs,
      after: t.arg.id({ required: false, validate: z.uuid('Not a delivery id') }),
      callback: t.arg.string({ required: false }),
      status: t.arg({ type: DeliveryStatusEnum, required: false }),
      nodeId: t.arg.id({ required: false }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.db.callbackDelivery.findMany({
        ...query,
        ...toPage(args),
        where: {
          ...(args.callback ? { callback: args.callback } : {}),
          ...(args.status ? { status: args.status } : {}),
          ...(args.nodeId ? { nodeId: String(args.nodeId) } : {}),
        },
      }),
  }),
  callbackDelivery: t.prismaField({
    type: 'CallbackDelivery',
    nullable: true,
    authScopes: admin,
    args: { id: t.arg.id({ required: true, validate: z.uuid('Not a delivery id') }) },
    resolve: (query, _root, args, ctx) => ctx.db.callbackDelivery.findUnique({ ...query, where: { id: String(args.id) } }),
  }),
}));

builder.mutationFields((t) => ({
  redeliverCallback: t.prismaField({
    type: 'CallbackDelivery',
    description: 'Sends a delivery again, whatever its status, with a fresh allowance of attempts.',
    authScopes: admin,
    args: { id: t.arg.id({ required: true, validate: z.uuid('Not a delivery id') }) },
    resolve: async (query, _root, args, ctx) => {
      await ctx.callbacks.redeliver(String(args.id));
      return ctx.db.callbackDelivery.findUniqueOrThrow({ ...query, where: { id: String(args.id) } });
    },
  }),
  setCallbackEnabled: t.field({
    type: CallbackRef,
    description: 'A disabled callback records no new events and holds its pending deliveries until enabled.',
    authScopes: admin,
    args: { name: t.arg.string({ required: true }), enabled: t.arg.boolean({ required: true }) },
    resolve: (_root, args, ctx) => ctx.callbacks.setEnabled(args.name, args.enabled),
  }),
}));
