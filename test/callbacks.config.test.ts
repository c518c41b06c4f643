import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallbacksConfigError, loadCallbacks } from '../src/callbacks/load.js';
import { schema } from '../src/schema/index.js';
import { TEST_SIGNING_SECRET } from './support/paygraph.js';

const directory = mkdtempSync(path.join(tmpdir(), 'paygraph-config-'));
let files = 0;

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(directory, `callbacks-${++files}.yml`);
  writeFileSync(file, yaml);
  return loadCallbacks({ file, schema, sharedSecret: TEST_SIGNING_SECRET, env });
}

function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    expect(error).toBeInstanceOf(CallbacksConfigError);
    return (error as CallbacksConfigError).problems;
  }
  throw new Error('expected the file to be refused');
}

const callback = (fields: string) => `callbacks:\n  charge:\n${fields.replace(/^/gm, '    ')}\n`;

describe('callbacks.yml validation at start', () => {
  it('accepts the tutorial callbacks, with defaults filled in', () => {
    const [charge] = load(
      callback('trigger: Purchase.created\nurl: ${CHARGE_URL}\npayload: "{ createdNode { id amount user { stripeId } } }"'),
      { CHARGE_URL: 'http://127.0.0.1:9/charge' },
    );
    expect(charge).toMatchObject({
      name: 'charge',
      url: 'http://127.0.0.1:9/charge',
      timeoutMs: 15_000,
      maxAttempts: 25,
      ordered: false,
      enabled: true,
      // Its own generated secret (callback-secrets.ts), not the shared one.
      secrets: null,
    });
  });

  it('${CALLBACK_SIGNING_SECRET} in an entry is the shared secret, given or generated', () => {
    const [own] = load(callback('trigger: User.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecret: ${CALLBACK_SIGNING_SECRET}'), {});
    expect(own!.secrets).toEqual([TEST_SIGNING_SECRET]);
  });

  it.each([
    ['an unknown model', 'trigger: Invoice.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"', /charge: trigger/],
    ['an unknown operation', 'trigger: Purchase.paid\nurl: http://x.test/\npayload: "{ createdNode { id } }"', /charge: trigger/],
    ['an unknown payload field', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id price } }"', /charge: payload: .*price/],
    ['a payload part the trigger does not offer', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ deletedNode { id } }"', /charge: payload: .*deletedNode/],
    ['a relation in a snapshot', 'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ previousValues { user { id } } }"', /charge: payload: .*relation/],
    ['a payload that is not GraphQL', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id "', /charge: payload: .*not a GraphQL selection/],
    ['an unset environment variable', 'trigger: Purchase.created\nurl: ${NOT_SET_ANYWHERE}\npayload: "{ createdNode { id } }"', /charge: .*NOT_SET_ANYWHERE is not set/],
    ['a malformed condition', 'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ updatedNode { id } }"\nwhen: { node: { isPaid: { equals: true } } }', /charge: when/],
    ['a condition on an unknown field', 'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ updatedNode { id } }"\nwhen: { changed: [paid] }', /charge: when: Purchase has no scalar field "paid"/],
    ['an unknown option', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nretries: 3', /charge: .*retries/],
    ['secret and secrets together', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecret: whsec_a\nsecrets: [whsec_b]', /charge: secrets: give secret or secrets, not both/],
    ['a rotation secret that is not whsec_', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecrets: [whsec_b, hunter2]', /charge: secrets\.1: /],
    ['an empty secrets list', 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecrets: []', /charge: secrets: /],
    ['a URL that is not http', 'trigger: Purchase.created\nurl: ftp://x.test/\npayload: "{ createdNode { id } }"', /charge: url/],
  ])('refuses %s, naming the callback and the problem', (_case, fields, message) => {
    const problems = problemsOf(callback(fields));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('lists every broken callback at once', () => {
    const problems = problemsOf(
      'callbacks:\n  one:\n    trigger: Nope.created\n    url: http://x.test/\n    payload: "{ createdNode { id } }"\n' +
        '  two:\n    trigger: User.created\n    url: http://x.test/\n    payload: "{ createdNode { password } }"\n',
    );
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['one', 'two']);
  });

  it('takes ${VAR:-default} defaults and per-callback secrets and durations', () => {
    const [charge] = load(
      callback(
        'trigger: Purchase.created\nurl: ${MISSING:-http://127.0.0.1:4002/}\npayload: "{ createdNode { id } }"\n' +
          'timeout: 500ms\nmaxAttempts: 3\nordered: true\nsecret: whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=',
      ),
    );
    expect(charge).toMatchObject({ url: 'http://127.0.0.1:4002/', timeoutMs: 500, maxAttempts: 3, ordered: true, secrets: ['whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI='] });
  });
});
