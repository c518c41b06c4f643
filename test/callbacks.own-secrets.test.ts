import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver, verifySignature, type ReceivedCallback } from './support/receiver.js';

const PINNED_SECRET = `whsec_${Buffer.from('paygraph-test-pinned-secret-32by').toString('base64')}`;

// A secret per callback by default: made at first start, shown once, stored; rotated from the shell
// with the old secret signing beside the new one until its grace ends. callbacks.yml still overrides.
// The CLI starts a tsx process per call: seconds each on a busy 2-core machine.
describe('callbacks: own secrets and rotation', { timeout: 120_000 }, () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startTestPaygraph({
      env: { RECEIVER_URL: receiver.url, PINNED_SECRET },
      callbacksYaml: `callbacks:
  own:
    trigger: User.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
  other:
    trigger: User.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
  pinned:
    trigger: User.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
    secret: \${PINNED_SECRET}
`,
    });
    cliEnv = {
      ...process.env,
      DATABASE_URL: app.databaseUrl,
      CALLBACKS_FILE: app.callbacksFile,
      RECEIVER_URL: receiver.url,
      PINNED_SECRET,
      CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      NODE_ENV: 'test',
    };
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(rootDir, 'scripts/callbacks.ts'), ...args], {
      cwd: rootDir,
      env: cliEnv,
    });

  /** Signs a user up and returns what `callback` received for that user. */
  const deliveryFor = async (callback: string): Promise<ReceivedCallback> => {
    const { userId } = await app.signUp();
    const [request] = await eventually(
      async () => receiver.received.filter((r) => r.body.event.callback === callback && r.body.event.nodeId === userId),
      (list) => list.length === 1,
    );
    return request!;
  };
  const signatureCount = (request: ReceivedCallback) => String(request.headers['webhook-signature']).split(' ').length;

  it('gives each callback without a secret its own, shown once, and signs with it', async () => {
    expect([...app.generatedSecrets.keys()].sort()).toEqual(['other', 'own']);
    const own = app.generatedSecrets.get('own')!;
    expect(own).toMatch(/^whsec_/);
    expect(own).not.toBe(app.generatedSecrets.get('other'));
    const request = await deliveryFor('own');
    expect(verifySignature(request, own)).toMatchObject({ event: { callback: 'own' } });
    expect(() => verifySignature(request, app.generatedSecrets.get('other'))).toThrow();
    expect(() => verifySignature(request, TEST_SIGNING_SECRET)).toThrow();
    // callbacks.yml's secret wins: nothing was generated for it.
    expect(verifySignature(await deliveryFor('pinned'), PINNED_SECRET)).toBeTruthy();
  });

  it('a second process on the same database makes no new secret and signs with the stored one', async () => {
    const second = await startTestPaygraph({
      databaseUrl: app.databaseUrl,
      roles: { api: false, worker: false },
      env: { RECEIVER_URL: receiver.url, PINNED_SECRET },
      callbacksYaml: await import('node:fs').then((fs) => fs.readFileSync(app.callbacksFile, 'utf8')),
    });
    try {
      expect(second.generatedSecrets.size).toBe(0);
    } finally {
      await second.stop();
    }
  });

  it('npm run callbacks -- rotate shows a new secret; old and new both sign until the grace ends, then only the new', async () => {
    const old = app.generatedSecrets.get('own')!;
    const { stdout } = await cli('rotate', 'own', '--grace', '1h');
    const fresh = /whsec_\S+/.exec(stdout)?.[0];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(old);
    expect(stdout).toMatch(/both signatures/);
    // Workers see a rotation within a second (their read of the table is cached that long).
    const during = await eventually(
      () => deliveryFor('own'),
      (request) => signatureCount(request) === 2,
    );
    expect(verifySignature(during, fresh)).toBeTruthy();
    expect(verifySignature(during, old)).toBeTruthy();

    expect((await cli('retire', 'own')).stdout).toMatch(/^1 older secret/);
    const after = await eventually(
      () => deliveryFor('own'),
      (request) => signatureCount(request) === 1,
    );
    expect(verifySignature(after, fresh!)).toBeTruthy();
    expect(() => verifySignature(after, old)).toThrow();
  });

  it('refuses to rotate a secret callbacks.yml gives, or an unknown callback', async () => {
    await expect(cli('rotate', 'pinned')).rejects.toMatchObject({
      stderr: expect.stringMatching(/callbacks\.yml gives it; rotate it there/),
    });
    await expect(cli('rotate', 'own', '--grace', 'soon')).rejects.toMatchObject({
      stderr: expect.stringMatching(/--grace: a duration like 30m, 12h or 5d/),
    });
  });
});
