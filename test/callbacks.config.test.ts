import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallbacksConfigError, loadCallbacks } from '../src/callbacks/load.js';
import { schema } from '../src/schema/index.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';

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

const PLAIN = 'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"';
const callback = (fields: string) => `callbacks:\n  charge:\n${fields.replace(/^/gm, '    ')}\n`;

describe('callbacks.yml validation at start', () => {
  it('accepts the tutorial callbacks, with defaults filled in', () => {
    const [charge] = load(
      callback(
        'trigger: Purchase.created\nurl: ${CHARGE_URL}\npayload: "{ createdNode { id amount user { stripeId } } }"',
      ),
      { CHARGE_URL: 'http://127.0.0.1:9/charge' },
    );
    expect(charge).toMatchObject({
      name: 'charge',
      url: 'http://127.0.0.1:9/charge',
      timeoutMs: 15_000,
      maxAttempts: 25,
      ordered: false,
      enabled: true,
      // Its own generated secret (store/secrets.ts), not the shared one.
      secrets: null,
    });
  });

  it('${CALLBACK_SIGNING_SECRET} in an entry is the shared secret, given or generated', () => {
    const [own] = load(
      callback(
        'trigger: User.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecret: ${CALLBACK_SIGNING_SECRET}',
      ),
      {},
    );
    expect(own!.secrets).toEqual([TEST_SIGNING_SECRET]);
  });

  it.each([
    [
      'an unknown model',
      'trigger: Invoice.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"',
      /charge: trigger/,
    ],
    [
      'an unknown operation',
      'trigger: Purchase.paid\nurl: http://x.test/\npayload: "{ createdNode { id } }"',
      /charge: trigger/,
    ],
    [
      'an unknown payload field',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id price } }"',
      /charge: payload: .*price/,
    ],
    [
      'a payload part the trigger does not offer',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ deletedNode { id } }"',
      /charge: payload: .*deletedNode/,
    ],
    [
      'a relation in a snapshot',
      'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ previousValues { user { id } } }"',
      /charge: payload: .*relation/,
    ],
    [
      'an owner-only field in a snapshot',
      'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ previousValues { id clientSecret } }"',
      /charge: payload: previousValues\.clientSecret has its own access rule/,
    ],
    [
      'a payload that is not GraphQL',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id "',
      /charge: payload: .*not a GraphQL selection/,
    ],
    [
      'an unset environment variable',
      'trigger: Purchase.created\nurl: ${NOT_SET_ANYWHERE}\npayload: "{ createdNode { id } }"',
      /charge: .*NOT_SET_ANYWHERE is not set/,
    ],
    [
      'a malformed condition',
      'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ updatedNode { id } }"\nwhen: { node: { isPaid: { equals: true } } }',
      /charge: when/,
    ],
    [
      'a condition on an unknown field',
      'trigger: Purchase.updated\nurl: http://x.test/\npayload: "{ updatedNode { id } }"\nwhen: { changed: [paid] }',
      /charge: when: Purchase has no scalar field "paid"/,
    ],
    [
      'an unknown option',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nretries: 3',
      /charge: .*retries/,
    ],
    [
      'secret and secrets together',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecret: whsec_a\nsecrets: [whsec_b]',
      /charge: secrets: give secret or secrets, not both/,
    ],
    [
      'a rotation secret that is not whsec_',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecrets: [whsec_b, hunter2]',
      /charge: secrets\.1: /,
    ],
    [
      'an empty secrets list',
      'trigger: Purchase.created\nurl: http://x.test/\npayload: "{ createdNode { id } }"\nsecrets: []',
      /charge: secrets: /,
    ],
    [
      'a URL that is not http',
      'trigger: Purchase.created\nurl: ftp://x.test/\npayload: "{ createdNode { id } }"',
      /charge: url/,
    ],
    [
      'maxInFlight 0',
      `${PLAIN}\nmaxInFlight: 0`,
      /^charge: maxInFlight: a whole number from 1 to 1000: deliveries in flight to this endpoint at once, across all workers$/,
    ],
    ['a fractional maxInFlight', `${PLAIN}\nmaxInFlight: 1.5`, /^charge: maxInFlight: a whole number from 1 to 1000/],
    ['a maxInFlight in words', `${PLAIN}\nmaxInFlight: two`, /^charge: maxInFlight: a whole number from 1 to 1000/],
    [
      'ratePerSecond 0',
      `${PLAIN}\nratePerSecond: 0`,
      /^charge: ratePerSecond: a number above 0 and at most 10000: deliveries started per second, across all workers$/,
    ],
    [
      'a ratePerSecond in words',
      `${PLAIN}\nratePerSecond: fast`,
      /^charge: ratePerSecond: a number above 0 and at most 10000/,
    ],
    [
      'disableAfterFailingFor in words',
      `${PLAIN}\ndisableAfterFailingFor: 5 days`,
      /^charge: disableAfterFailingFor: a duration like 30m, 12h or 5d, or false \(never\)$/,
    ],
    ['disableAfterFailingFor 0d', `${PLAIN}\ndisableAfterFailingFor: 0d`, /^charge: disableAfterFailingFor: /],
    [
      'disableAfterFailingFor true',
      `${PLAIN}\ndisableAfterFailingFor: true`,
      /^charge: disableAfterFailingFor: a duration like 30m, 12h or 5d, or false/,
    ],
    [
      'a condition on an alert',
      'trigger: CallbackDelivery.dead\nurl: http://x.test/\npayload: "{ deadDelivery { id } }"\nwhen: { node: { callback: x } }',
      /^charge: when: CallbackDelivery.dead callbacks take no condition/,
    ],
    [
      'a payload part an alert does not offer',
      'trigger: CallbackDelivery.dead\nurl: http://x.test/\npayload: "{ createdNode { id } }"',
      /^charge: payload: CallbackDelivery.dead payloads offer deadDelivery; "createdNode"/,
    ],
    [
      'an unknown field of a dead delivery',
      'trigger: CallbackDelivery.dead\nurl: http://x.test/\npayload: "{ deadDelivery { id colour } }"',
      /^charge: payload: .*colour/,
    ],
    [
      'a selection on a fact',
      'trigger: CallbackDelivery.disabled\nurl: http://x.test/\npayload: "{ reason { id } }"',
      /^charge: payload: reason is a plain value/,
    ],
    [
      'an unknown built-in trigger',
      'trigger: CallbackDelivery.failed\nurl: http://x.test/\npayload: "{ deadDelivery { id } }"',
      /^charge: trigger: .*CallbackDelivery.dead or CallbackDelivery.disabled/,
    ],
  ])('refuses %s, naming the callback and the problem', (_case, fields, message) => {
    const problems = problemsOf(callback(fields));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('takes flow control, a failing limit and the built-in alert triggers', () => {
    const [limited, never, alert, disabled] = load(
      `callbacks:\n  limited:\n${`${PLAIN}\nmaxInFlight: 2\nratePerSecond: 0.5\ndisableAfterFailingFor: 12h`.replace(/^/gm, '    ')}\n` +
        `  never:\n${`${PLAIN}\ndisableAfterFailingFor: false`.replace(/^/gm, '    ')}\n` +
        '  pageOnDead:\n    trigger: CallbackDelivery.dead\n    url: http://x.test/\n    payload: "{ deadDelivery { id callback nodeId attempts attemptLog { httpStatus error } } }"\n' +
        '  pageOnDisabled:\n    trigger: CallbackDelivery.disabled\n    url: http://x.test/\n    payload: "{ disabledCallback { name url lastError } reason failingSince }"\n',
    );
    expect(limited).toMatchObject({ maxInFlight: 2, ratePerSecond: 0.5, disableAfterFailingForMs: 12 * 3_600_000 });
    expect(never).toMatchObject({ maxInFlight: null, ratePerSecond: null, disableAfterFailingForMs: null });
    expect(alert).toMatchObject({ trigger: 'CallbackDelivery.dead', disableAfterFailingForMs: 5 * 86_400_000 });
    expect(disabled).toMatchObject({ trigger: 'CallbackDelivery.disabled' });
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
    expect(charge).toMatchObject({
      url: 'http://127.0.0.1:4002/',
      timeoutMs: 500,
      maxAttempts: 3,
      ordered: true,
      secrets: ['whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI='],
    });
  });
});
