import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startReceiver, verifySignature } from './support/receiver.js';

const NEW_SECRET = `whsec_${Buffer.from('paygraph-test-the-new-secret-32b').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('paygraph-test-the-old-secret-32b').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('paygraph-test-someone-elses-32by').toString('base64')}`;

// Rotation without downtime: while `secrets` lists the new and the old secret, every request carries
// both signatures, so a receiver verifies with whichever one it holds.
describe('callbacks: secret rotation', () => {
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startTestPaygraph({
      env: { RECEIVER_URL: receiver.url, NEW_SECRET },
      callbacksYaml: `callbacks:
  rotating:
    trigger: User.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
    secrets: ["\${NEW_SECRET}", "${OLD_SECRET}"]
`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  it('signs with every listed secret: receivers on the old and on the new one both verify', async () => {
    await app.signUp();
    const [request] = await receiver.waitFor(1);
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifySignature(request!, NEW_SECRET)).toMatchObject({ event: { callback: 'rotating' } });
    expect(verifySignature(request!, OLD_SECRET)).toMatchObject({ event: { callback: 'rotating' } });
    expect(() => verifySignature(request!, OTHER_SECRET)).toThrow();
  });
});
