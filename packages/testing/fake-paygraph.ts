import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from './listen.js';

/** A write-back the fake API accepted: the mutation's field and the variables it was sent with. */
export interface RecordedMutation {
  field: string;
  variables: Record<string, unknown>;
}

type Trouble = { kind: 'http'; status: number } | { kind: 'graphql'; code: string };

/**
 * A loopback stand-in for the Paygraph GraphQL API, as far as the services use it: it accepts the
 * write-back mutations from a caller with the right bearer token, records them, and can be told to
 * fail the next call of a field. Swap for the real API (test/support) in end-to-end tests.
 */
export async function startFakePaygraph(accessToken: string) {
  const mutations: RecordedMutation[] = [];
  const troubles = new Map<string, Trouble[]>();

  const server = await listen({
    listener: (req, res) => void answer(req, res),
  });

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables: Record<string, unknown>;
    };
    const field = /\b(\w+)\s*\(\s*id\s*:/.exec(query)?.[1] ?? 'unknown';
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      return reply(200, {
        data: null,
        errors: [{ message: 'Sign in or send a valid access token', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    // The services' token check before anything that costs money: answered, never recorded as a write.
    if (/\bviewerAccessToken\b/.test(query) && !troubles.get('viewerAccessToken')?.length) {
      return reply(200, { data: { viewerAccessToken: { name: 'test' } } });
    }
    const trouble = troubles.get(/\bviewerAccessToken\b/.test(query) ? 'viewerAccessToken' : field)?.shift();
    if (trouble?.kind === 'http') return reply(trouble.status, { errors: [{ message: 'unavailable' }] });
    if (trouble?.kind === 'graphql')
      return reply(200, {
        data: null,
        errors: [{ message: `refused: ${trouble.code}`, extensions: { code: trouble.code } }],
      });
    mutations.push({ field, variables });
    return reply(200, { data: { [field]: { id: variables.id } } });
  }

  const queue = (field: string, trouble: Trouble) => troubles.set(field, [...(troubles.get(field) ?? []), trouble]);
  return {
    url: new URL('/graphql', server.url).toString(),
    mutations,
    /** The accepted write-backs of one field for one node, oldest first. */
    writes: (field: string, id: string) =>
      mutations.filter((m) => m.field === field && m.variables.id === id).map((m) => m.variables),
    /** The next call of `field` answers this HTTP status and changes nothing. */
    failNext: (field: string, status = 503) => queue(field, { kind: 'http', status }),
    /** The next call of `field` is refused with this GraphQL error code. */
    refuseNext: (field: string, code: string) => queue(field, { kind: 'graphql', code }),
    close: server.close,
  };
}

export type FakePaygraph = Awaited<ReturnType<typeof startFakePaygraph>>;
