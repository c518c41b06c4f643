/** A GraphQL subscription over SSE, as curl -N or the console reads it: every `next` payload, in order. */
export async function subscribe(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
) {
  const controller = new AbortController();
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    signal: controller.signal,
    headers: {
      ...headers,
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const events: {
    data?: Record<string, any> | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  }[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const messages = buffer.split('\n\n');
        buffer = messages.pop() ?? '';
        for (const message of messages) {
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (/^event: next$/m.test(message) && data) events.push(JSON.parse(data));
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();
  return {
    status: response.status,
    events,
    /** Resolves with the first event (from the start) that `accept` takes. */
    waitFor(accept: (event: (typeof events)[number]) => boolean, timeoutMs = 15_000): Promise<(typeof events)[number]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(accept);
          if (!found && !ended) return;
          waiters.delete(check);
          clearTimeout(timer);
          if (found) resolve(found);
          else reject(new Error(`stream ended without the event; got ${JSON.stringify(events)}`));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** Resolves when the server ends the stream. */
    ended(timeoutMs = 15_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ended) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the stream is still open after ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}
