// Paygraph's public API as a shop's frontend uses it: GraphQL over POST /graphql, and subscriptions
// over SSE on the same endpoint. The session token stays in this tab (sessionStorage).
const TOKEN_KEY = 'paygraph.shop.session';

export const session = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An error the API answered, with its stable code (UNAUTHENTICATED, BAD_USER_INPUT, ...). */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join('; '));
    this.code = errors[0]?.extensions?.code ?? 'ERROR';
  }
}

function headers(extra = {}) {
  const token = session.get();
  return { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }), ...extra };
}

/** One query or mutation; resolves with `data`, rejects with an ApiError. */
export async function gql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data;
}

/**
 * A subscription (purchaseUpdated, cardDetailsUpdated): calls `onData` with each result, the current
 * state first. Read with fetch, since EventSource cannot send the token. Returns a function that stops it.
 */
export function watch(query, variables, onData, onError = () => undefined) {
  const controller = new AbortController();
  (async () => {
    const response = await fetch('/graphql', {
      method: 'POST',
      signal: controller.signal,
      headers: headers({ accept: 'text/event-stream' }),
      body: JSON.stringify({ query, variables }),
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (let buffer = ''; ;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const events = buffer.split('\n\n');
      buffer = events.pop();
      for (const event of events) {
        if (!/^event: next$/m.test(event)) continue;
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        const result = JSON.parse(data);
        if (result.errors?.length) throw new ApiError(result.errors);
        onData(result.data);
      }
    }
  })().catch((error) => {
    if (!controller.signal.aborted) onError(error);
  });
  return () => controller.abort();
}
