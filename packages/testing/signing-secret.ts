/** The callbacks' signing secret in tests: the API under test signs with it, the services under test verify with it. */
export const TEST_SIGNING_SECRET = `whsec_${Buffer.from('paygraph-test-signing-secret-32b').toString('base64')}`;
