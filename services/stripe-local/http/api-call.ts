import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { internalError, invalidRequest, rateLimited, StripeLocalError, unrecognizedUrl } from '../errors.js';
import type { Account } from '../resources/account.js';
import { apiVersionNamed, SDK_API_VERSION, shapeForVersion } from '../resources/api-versions.js';
import { applyExpand, renderById } from '../resources/expand.js';
import { requestDigest, type Claim } from '../resources/idempotency.js';
import { authorize, type Accounts } from './accounts.js';
import { CONTROL_PATH, takeFault } from './controls.js';
import { decodeForm, indexedToArray, type FormObject } from './form-body.js';
import { parse, stringArray } from './params.js';
import type { Router } from './router.js';
import { validateParams } from '../spec/validate-params.js';

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

type Finish = Extract<Claim, { kind: 'first' }>['finish'];

export interface ApiDeps {
  accounts: Accounts;
  router: Router;
  logger: { error(details: object, message: string): void };
}

/**
 * One call of the Stripe API, as Stripe answers it: the account of its key, its route (if that key may call it), its
 * Idempotency-Key (a repeat gets the first answer, errors included), a test fault if one is set, then
 * the operation, its object expanded as asked.
 */
export async function answerApiCall(
  deps: ApiDeps,
  req: IncomingMessage,
  url: URL,
  body: string,
  requestId: string,
): Promise<Reply> {
  let finish: Finish | undefined;
  let account: Account | undefined;
  let version: string | undefined;
  try {
    const caller = deps.accounts.fromAuthorization(req.headers.authorization);
    account = caller.account;
    version = requestedVersion(account, header(req, 'stripe-version'));
    const method = req.method ?? 'GET';
    const params = decodeForm(method === 'POST' ? body : url.search.slice(1));
    const expand = expandParam(params.expand);
    delete params.expand;
    const found = deps.router.match(method, url.pathname);
    if (!found) throw unrecognizedUrl(method, url.pathname);
    authorize(caller, method, found.route.path, found.path, params);
    validateParams(method, found.route.path, params);
    const key = header(req, 'idempotency-key');
    if (key !== undefined && method === 'POST') {
      const claimed = claimOnce(account, key, requestDigest(method, url.pathname, { params, expand }));
      if ('replay' in claimed)
        return { ...claimed.replay, headers: { ...claimed.replay.headers, 'stripe-version': version } };
      finish = claimed.finish;
    }
    const fault = url.pathname.startsWith(CONTROL_PATH) ? null : await faultFor(account, url.pathname);
    if (fault) {
      // A fault is the emulator's own failure: the key is free again, as after Stripe's own errors.
      finish?.(null);
      finish = undefined;
      throw fault;
    }
    account.request = { id: requestId, idempotency_key: key ?? null };
    account.requestByPublishableKey = caller.kind === 'publishable';
    const result = found.route.handler({ account, params, path: found.path, expand, version });
    const shaped = shapeForVersion(account, applyExpand(account, result, expand), version);
    const reply = { status: 200, body: JSON.stringify(shaped), headers: { 'stripe-version': version } };
    finish?.({ ...reply, requestId });
    return reply;
  } catch (error) {
    const known = error instanceof StripeLocalError;
    if (!known) deps.logger.error({ err: error, path: url.pathname }, 'request failed unexpectedly');
    const failure = known ? error : internalError();
    const reply = {
      status: failure.status,
      body: JSON.stringify({ error: { ...failure.body, request_log_url: requestLogUrl(account, requestId) } }),
      headers: { 'stripe-version': version ?? account?.apiVersion ?? SDK_API_VERSION },
    };
    // Stripe saves an answer to an idempotent request once it ran, errors included, but not its own failures
    // nor parameters that failed validation (docs/idempotency): the corrected retry with the key runs.
    finish?.(known && !failedValidation(failure) ? { ...reply, requestId } : null);
    return reply;
  }
}

/** `Stripe-Version` overrides the account's default for one call (docs/api/versioning); an unknown one is a 400. */
function requestedVersion(account: Account, requested: string | undefined): string {
  return requested === undefined ? account.apiVersion : apiVersionNamed(requested);
}

/** `expand[]=a` or `expand[0]=a`; anything else (`expand=a`) is Stripe's "Invalid array" naming `expand`. */
function expandParam(value: FormObject[string] | undefined): string[] {
  if (value === undefined) return [];
  const list = indexedToArray(value);
  if (!Array.isArray(list)) throw invalidRequest('Invalid array', { param: 'expand' });
  return parse(stringArray, list as never);
}

/** Where Stripe's Dashboard shows the failed request (api/errors); an unauthenticated request has no account to log it in. */
function requestLogUrl(account: Account | undefined, requestId: string): string | null {
  return account ? `https://dashboard.stripe.com/test/logs/${requestId}?t=${account.seconds()}` : null;
}

/** The first request with a key runs (and says when it is done); a repeat replays its answer (409 while it runs). */
function claimOnce(account: Account, key: string, digest: string): { finish: Finish } | { replay: Reply } {
  if (key.length > 255)
    throw invalidRequest('Idempotency keys can be at most 255 characters long.', { param: 'Idempotency-Key' });
  const claim = account.idempotency.claim(key, digest, account.now());
  if (claim.kind === 'first') return { finish: claim.finish };
  const saved = claim.response;
  const headers = { 'idempotent-replayed': 'true', 'original-request': saved.requestId };
  return { replay: { status: saved.status, body: replayBody(account, saved.body), headers } };
}

/** A parameter Stripe refused before the endpoint ran: unknown, missing or of an invalid value. */
function failedValidation(failure: StripeLocalError): boolean {
  return failure.status === 400 && (failure.body.code?.startsWith('parameter_') ?? false);
}

/** A test fault set on the account: waits its delay, then gives its error, if it has one. */
async function faultFor(account: Account, path: string): Promise<StripeLocalError | null> {
  const fault = takeFault(account, path);
  if (fault?.delayMs) await delay(fault.delayMs);
  if (!fault?.status) return null;
  return fault.status === 429 ? rateLimited() : internalError();
}

/** A replayed response: word for word, or for an older key its object as it is now. */
function replayBody(account: Account, body: string | { objectId: string }): string {
  return typeof body === 'string' ? body : JSON.stringify(renderById(account, body.objectId) ?? { id: body.objectId });
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
