/// <reference lib="dom" />
/** Stripe's form encoding: nested objects as `a[b][c]=v`, arrays as `a[0]=v`; null and undefined left out. */
export function encodeForm(params: Record<string, unknown>): string {
  const pairs: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) add(`${key}[${name}]`, inner);
      return;
    }
    pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  };
  for (const [name, value] of Object.entries(params)) add(name, value);
  return pairs.join('&');
}

export interface ApiAnswer {
  status: number;
  body: { error?: Record<string, unknown> } & Record<string, unknown>;
}

/** One call of the emulator's API with the publishable key, as Stripe.js makes it. */
export async function callApi(
  origin: string,
  key: string,
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const form = encodeForm(params);
  const url = `${origin}${path}${method === 'GET' && form ? `?${form}` : ''}`;
  try {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === 'POST' && { 'content-type': 'application/x-www-form-urlencoded' }),
        ...headers,
      },
      ...(method === 'POST' && { body: form }),
    });
    return { status: response.status, body: (await response.json()) as ApiAnswer['body'] };
  } catch {
    // Stripe.js's answer when it cannot reach Stripe at all.
    const message = 'An error occurred with our connection to Stripe. Request was retried 0 times.';
    return { status: 0, body: { error: { type: 'api_connection_error', message } } };
  }
}
