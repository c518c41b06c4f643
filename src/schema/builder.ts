import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import PrismaPlugin from '@pothos/plugin-prisma';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import type { Scope } from '../../packages/base/scopes.js';
import { getNullableType, isListType } from 'graphql';
import { badInput, forbidden, unauthenticated } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { Context } from './context.js';
import { DEFAULT_PAGE_SIZE } from './page-size.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { signedIn: boolean; self: string; token: Scope };
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, PrismaPlugin, ValidationPlugin, ComplexityPlugin],
  complexity: {
    // Counted from the arguments as sent, variables included: a page of `first` items costs `first`
    // times its selection, and a list without `first` costs a full default page.
    fieldComplexity: (args, _ctx, field) => {
      if (!isListType(getNullableType(field.type))) return 1;
      if (!field.args.some((arg) => arg.name === 'first')) return { field: 1, multiplier: 10 };
      return { field: 1, multiplier: typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE };
    },
    limit: (ctx) => ctx.queryLimits,
    complexityError: (kind, result) =>
      badInput(
        kind === 'Depth'
          ? `Query is too deep (depth ${result.depth}, at most ${result.maxDepth})`
          : `Query is too costly (cost ${result.complexity}, at most ${result.maxComplexity}); ask for smaller pages`,
      ),
  },
  prisma: {
    // The client comes from the context, so tests and the callbacks engine can bring their own database.
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    onUnusedQuery: null,
  },
  scopeAuth: {
    // A subscription is refused when it starts, not event by event.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      signedIn: ctx.identity.kind === 'user',
      self: (userId) => ctx.identity.kind === 'user' && ctx.identity.userId === userId,
      token: (scope) =>
        ctx.identity.kind === 'system' || (ctx.identity.kind === 'token' && ctx.identity.scopes.has(scope)),
    }),
    unauthorizedError: (_parent, ctx) => (ctx.identity.kind === 'anonymous' ? unauthenticated() : forbidden()),
  },
  validation: {
    validationError: (failure) =>
      badInput(failure.issues.map((issue) => issue.message).join('; '), {
        issues: failure.issues.map((issue) => ({
          path: (issue.path ?? []).map((part) => (typeof part === 'object' ? part.key : part)).join('.'),
          message: issue.message,
        })),
      }),
  },
});

builder.scalarType('DateTime', {
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw badInput('DateTime must be an ISO-8601 string');
    return date;
  },
});

builder.queryType({});
builder.mutationType({});

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
