/** A failure worth retrying later: the API was unreachable or answered 5xx. */
export class PaygraphUnavailableError extends Error {}

/** The API refused the operation; `code` is its stable extensions.code. */
export class PaygraphRefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(`Paygraph refused: ${code}: ${message}`);
  }
}

export type Paygraph = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

/** A GraphQL client that acts as the service, with its own access token and nothing more. */
export function paygraphClient(url: string, accessToken: string): Paygraph {
  return async <T>(query: string, variables: Record<string, unknown>) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new PaygraphUnavailableError(`Paygraph API unreachable: ${(error as Error).message}`);
    }
    if (response.status >= 500) throw new PaygraphUnavailableError(`Paygraph API answered ${response.status}`);
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    const [error] = body.errors ?? [];
    if (error) throw new PaygraphRefusedError(error.extensions?.code ?? 'UNKNOWN', error.message);
    return body.data as T;
  };
}
