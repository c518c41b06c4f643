import { serviceBudget } from '../../packages/base/service-budget.js';
import { httpPost, type PostAnswer } from '../../packages/base/http-post.js';
import { DEFAULT_CALLBACK_TIMEOUT_MS } from './stripe-client.js';

/** The API could not answer (unreachable, timed out, 5xx, 429, an internal error): worth retrying later. */
export class PaygraphUnavailableError extends Error {}

/**
 * The API answered and refused; `code` is the stable `extensions.code` (UNAUTHENTICATED, FORBIDDEN,
 * NOT_FOUND, BAD_USER_INPUT, CONFLICT), or HTTP_<status> when a 4xx came without a GraphQL body.
 */
export class PaygraphRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`Paygraph refused: ${code}: ${message}`);
  }
}

/** The service's own access token is refused: nothing that costs money may happen until it is replaced. */
export class TokenRefusedError extends Error {
  constructor(reason: string) {
    super(`this service's Paygraph access token is refused (${reason}); nothing is charged until it gets a valid one`);
  }
}

export type Paygraph = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * A GraphQL client that acts as one service, with its own access token (`pgt_...`) and nothing more.
 * Over node:http with a keep-alive agent (src/http-post.ts) rather than fetch.
 */
export function paygraphClient(
  url: string,
  accessToken: string,
  timeoutMs = serviceBudget(DEFAULT_CALLBACK_TIMEOUT_MS).writeBackTimeoutMs,
): Paygraph {
  const target = new URL(url);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    authorization: `Bearer ${accessToken}`,
  };
  return async <T>(query: string, variables: Record<string, unknown>) => {
    let answer: PostAnswer;
    try {
      answer = await httpPost(target, JSON.stringify({ query, variables }), headers, { timeoutMs });
    } catch (error) {
      throw new PaygraphUnavailableError(`Paygraph API unreachable: ${(error as Error).message}`);
    }
    const { status } = answer;
    if (status >= 500 || status === 429) throw new PaygraphUnavailableError(`Paygraph API answered ${status}`);
    const body = parsed<GraphQLResponse<T>>(answer.body);
    const [error] = body?.errors ?? [];
    if (error) {
      const code = error.extensions?.code;
      // A masked internal error (the database away, say) is the API's trouble, not a refusal.
      if (!code || code === 'INTERNAL_SERVER_ERROR')
        throw new PaygraphUnavailableError(`Paygraph API failed: ${error.message}`);
      throw new PaygraphRefusedError(code, error.message);
    }
    if (status < 200 || status >= 300)
      throw new PaygraphRefusedError(`HTTP_${status}`, `Paygraph API answered ${status}`);
    if (!body?.data) throw new PaygraphUnavailableError('Paygraph API answered without data');
    return body.data;
  };
}

function parsed<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
