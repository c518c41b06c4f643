import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codesOf, startTestPaygraph, type GraphQLResponse, type TestPaygraph } from './support/paygraph.js';

// Every scrypt the API runs goes through these three: a new password's hash, a sign-in's check, and
// the decoy check of an unknown email. Counting them shows what a request cost.
const scrypt = vi.hoisted(() => ({ runs: 0 }));
vi.mock(import('../src/auth/passwords.js'), async (importOriginal) => {
  const passwords = await importOriginal();
  const counted =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    (...args: A) => {
      scrypt.runs += 1;
      return run(...args);
    };
  return {
    ...passwords,
    hashPassword: counted(passwords.hashPassword),
    verifyPassword: counted(passwords.verifyPassword),
    spendDecoyVerification: counted(passwords.spendDecoyVerification),
  };
});

const SIGNUPS_PER_ADDRESS = 2;
const WINDOW_MINUTES = 15;
const createUser = (email: string, directives = '') =>
  `createUser(name: "Limits", authProvider: { email: { email: "${email}", password: "correct horse" } }) ${directives} { id }`;
const signUpQuery =
  'mutation($e: String!) { createUser(name: "Limits", authProvider: { email: { email: $e, password: "correct horse" } }) { id } }';

describe('sign-up limits', () => {
  let app: TestPaygraph;
  // Behind a trusted proxy each test is a client of its own address, so the counts of one never reach another.
  let addresses = 0;
  const newAddress = () => `203.0.113.${++addresses}`;
  let emails = 0;
  const newEmail = () => `limits${++emails}-${Date.now()}@example.com`;

  beforeAll(async () => {
    app = await startTestPaygraph({
      env: {
        SIGNUP_MAX_PER_ADDRESS: String(SIGNUPS_PER_ADDRESS),
        SIGNIN_THROTTLE_MINUTES: String(WINDOW_MINUTES),
        TRUST_PROXY: 'true',
      },
      roles: { api: true, worker: false },
    });
  });
  afterAll(() => app?.stop());

  const post = async (address: string, query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as GraphQLResponse,
    };
  };
  const signUp = (address: string, email: string) => post(address, signUpQuery, { e: email });
  const registered = (...emails: string[]) =>
    app.db.user.count({ where: { email: { in: emails.map((email) => email.toLowerCase()) } } });

  it('an address gets SIGNUP_MAX_PER_ADDRESS sign-ups, a taken email included, then RATE_LIMITED with nothing hashed or written', async () => {
    const address = newAddress();
    const taken = newEmail();
    const start = scrypt.runs;
    expect((await signUp(address, taken)).body.errors).toBeUndefined();
    expect(scrypt.runs - start).toBe(1);
    // A duplicate tells the address the email is registered: it counts like any other answer.
    expect(codesOf((await signUp(address, taken.toUpperCase())).body)).toEqual(['CONFLICT']);

    const before = scrypt.runs;
    const refusedEmail = newEmail();
    const refused = await signUp(address, refusedEmail);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(codesOf(refused.body)).toEqual(['RATE_LIMITED']);
    expect(codesOf((await signUp(address, taken.toUpperCase())).body)).toEqual(['RATE_LIMITED']);
    expect(scrypt.runs).toBe(before);
    expect(await registered(refusedEmail)).toBe(0);
  });

  it('under the limit sign-up works, and one address reaching it leaves another unaffected', async () => {
    const busy = newAddress();
    for (let i = 0; i < SIGNUPS_PER_ADDRESS; i += 1)
      expect((await signUp(busy, newEmail())).body.errors).toBeUndefined();
    expect(codesOf((await signUp(busy, newEmail())).body)).toEqual(['RATE_LIMITED']);
    const email = newEmail();
    const other = await signUp(newAddress(), email);
    expect(other.body.errors).toBeUndefined();
    expect(await registered(email)).toBe(1);
  });

  it('the limit resets once SIGNIN_THROTTLE_MINUTES have passed', async () => {
    const address = newAddress();
    for (let i = 0; i < SIGNUPS_PER_ADDRESS; i += 1)
      expect((await signUp(address, newEmail())).body.errors).toBeUndefined();
    expect(codesOf((await signUp(address, newEmail())).body)).toEqual(['RATE_LIMITED']);
    // The throttle's window is kept as a deadline in milliseconds: only the clock is moved, past it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + WINDOW_MINUTES * 60_000 + 1_000 });
    try {
      const email = newEmail();
      expect((await signUp(address, email)).body.errors).toBeUndefined();
      expect(await registered(email)).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a request with more than one password field is refused up front: nothing hashed, counted or written', async () => {
    const address = newAddress();
    const [a, b] = [newEmail(), newEmail()];
    const requests = [
      `mutation { a: ${createUser(a)} b: ${createUser(b)} }`,
      `mutation { a: ${createUser(a)} s: signinUser(email: { email: "${b}", password: "correct horse" }) { token } }`,
      // Fields are counted as execution collects them: fragments hide none.
      `mutation { a: ${createUser(a)} ...B } fragment B on Mutation { b: ${createUser(b)} }`,
      `mutation($yes: Boolean = true) { ... on Mutation { a: ${createUser(a)} } ... @include(if: $yes) { b: ${createUser(b)} } }`,
    ];
    const before = scrypt.runs;
    for (const query of requests) {
      const refused = await post(address, query);
      expect(codesOf(refused.body), query).toEqual(['BAD_USER_INPUT']);
      expect(refused.body.errors?.[0]?.extensions?.passwordFieldsPerRequest, query).toBe(1);
      expect(refused.body.data ?? null, query).toBeNull();
    }
    expect(scrypt.runs).toBe(before);
    expect(await registered(a, b)).toBe(0);
    // None of the refused requests took a sign-up from the address: it still has all of them.
    for (let i = 0; i < SIGNUPS_PER_ADDRESS; i += 1)
      expect((await signUp(address, newEmail())).body.errors).toBeUndefined();
  });

  it('a second password field that execution skips is no second field', async () => {
    const [a, b] = [newEmail(), newEmail()];
    const response = await post(
      newAddress(),
      `mutation($no: Boolean = false) { a: ${createUser(a)} b: ${createUser(b, '@include(if: $no)')} }`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(await registered(a, b)).toBe(1);
  });
});
