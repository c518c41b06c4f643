import { createHash } from 'node:crypto';
import { getOperationAST, type GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import stringify from 'safe-stable-stringify';
import type { Db } from '../db/client.js';
import { attachTransaction, withWriteBehind } from '../db/write-behind.js';
import { badInput, conflict } from '../errors.js';
import type { Context } from '../schema/context.js';
import { claimKey, readClaim, saveResponse, type Claim } from './idempotency-keys.js';
import { collectRootFields } from './root-fields.js';

export interface MutationTransactionOptions {
  db: Db;
  /** How long one mutation request may hold its transaction. */
  timeoutMs: number;
  /** Whether blocking hooks run after this plugin: a retry must then be answered before they are asked. */
  hooksFollow: boolean;
}

/** Marks a rolled-back result; the client sees the errors and `data: null`, and nothing was written. */
class RolledBack extends Error {
  constructor(readonly result: ExecutionResult) {
    super('rolled back');
  }
}

/** The key was already claimed by this caller: the first request's answer is replayed (or refused). */
class KeyTaken extends Error {}

// Requests answered from a stored response, so the HTTP answer can say so as Stripe's does.
const replayed = new WeakSet<Request>();
// Mutations whose answer holds a secret cannot be replayed: we would have to store it in the clear.
const NOT_REPLAYABLE = new Set(['signinUser']);
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * A mutation request runs in one database transaction, from its first root field to the last field of
 * its answer, and commits only when the whole answer has no error. So a refused field anywhere (a
 * selection the caller may not read, a later root field that fails) leaves no row, no callback and
 * no charge behind: "refused" means nothing happened, as with Hasura's mutations.
 *
 * An `Idempotency-Key` header (as Stripe's API takes) is claimed inside that same transaction: a retry
 * with the same key and input gets the first answer, also when both arrive at once (the second waits
 * on the first's row lock); the same key with other input is a CONFLICT.
 */
export function useMutationTransaction({ db, timeoutMs, hooksFollow }: MutationTransactionOptions): Plugin<Context> {
  return {
    async onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const early = args.contextValue as Context & { request: Request };
      const sentKey = early.request.headers.get('idempotency-key');
      // Hashed as the client sent it: a blocking hook's rewrite of the arguments does not change it.
      // Only a request with a key is ever compared, so only such a request pays for the hash.
      const sentHash = sentKey === null ? '' : requestHash(args);
      // With no hook to run first, the claim inside the transaction answers a retry just as well, one read fewer.
      if (hooksFollow && sentKey !== null && KEY_PATTERN.test(sentKey)) {
        // A retry of a mutation already answered gets that answer before anything else runs, so blocking
        // hooks (registered after this plugin) are not asked again and cannot refuse what already happened.
        const claim = { scope: scopeOf(early), key: sentKey, requestHash: sentHash };
        if ((await readClaim(db, claim))?.response)
          return setResultAndStopExecution(await replay(db, claim, early.request));
      }
      setExecuteFn(async (executionArgs: ExecutionArgs) => {
        const context = executionArgs.contextValue as Context & { request: Request };
        const key = context.request.headers.get('idempotency-key');
        if (key !== null) {
          if (!KEY_PATTERN.test(key))
            return errorResult(badInput('Idempotency-Key must be 1 to 255 printable ASCII characters'));
          const root = collectRootFields(executionArgs);
          if ('errors' in root) return { data: null, errors: root.errors };
          const secretField = [...root.fields.values()]
            .map((nodes) => nodes[0]!.name.value)
            .find((field) => NOT_REPLAYABLE.has(field));
          if (secretField)
            return errorResult(
              badInput(`${secretField} takes no Idempotency-Key: its answer holds a secret, and it is safe to retry`),
            );
        }
        const claim = key === null ? null : { scope: scopeOf(context), key, requestHash: sentHash };
        try {
          return await withWriteBehind(() =>
            db.$transaction(
              async (tx) => {
                attachTransaction(tx);
                if (claim && !(await claimKey(tx, claim))) throw new KeyTaken();
                // The transaction client stands in for the database for every resolver of this request.
                const result = (await executeFn({
                  ...executionArgs,
                  contextValue: { ...context, db: tx as unknown as Db },
                })) as ExecutionResult;
                if (result.errors?.length) throw new RolledBack(result);
                if (claim) await saveResponse(tx, claim, result);
                return result;
              },
              // Under a burst every connection may be busy: waiting for one may take longer than any one
              // transaction may last. (Passwords are hashed before this, src/auth/hash-passwords-first.ts.)
              { timeout: timeoutMs, maxWait: 3 * timeoutMs },
            ),
          );
        } catch (error) {
          if (error instanceof RolledBack) return { data: null, errors: error.result.errors };
          if (error instanceof KeyTaken && claim) return replay(db, claim, context.request);
          throw error;
        }
      });
    },
    onResponse({ request, response }) {
      if (replayed.has(request)) response.headers.set('idempotent-replayed', 'true');
    },
  };
}

async function replay(db: Db, claim: Claim, request: Request): Promise<ExecutionResult> {
  const row = await readClaim(db, claim);
  if (!row?.response)
    return errorResult(conflict('A request with this Idempotency-Key is still being processed; retry shortly'));
  if (row.request_hash !== claim.requestHash) {
    return errorResult(conflict('This Idempotency-Key was used with another request; use a new key for a new request'));
  }
  replayed.add(request);
  return { ...row.response, extensions: { ...row.response.extensions, idempotentReplayed: true } };
}

function scopeOf({ identity, clientAddress }: Pick<Context, 'identity' | 'clientAddress'>): string {
  switch (identity.kind) {
    case 'user':
      return `user:${identity.userId}`;
    case 'token':
      return `token:${identity.tokenId}`;
    // Nobody to share a key with but the client's own address: one anonymous client's answer
    // (a new user's id) is never replayed to another that sends the same key and request.
    case 'anonymous':
      return `anonymous:${clientAddress}`;
    default:
      return identity.kind;
  }
}

function requestHash(args: ExecutionArgs): string {
  const operation = getOperationAST(args.document, args.operationName);
  const text = args.document.loc?.source.body ?? '';
  return createHash('sha256')
    .update(
      stringify({
        document: text,
        operationName: operation?.name?.value ?? null,
        variables: args.variableValues ?? {},
      }) ?? '',
    )
    .digest('hex');
}

const errorResult = (error: GraphQLError): ExecutionResult => ({ data: null, errors: [error] });
