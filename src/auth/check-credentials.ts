import type { Db } from '../db/client.js';
import type { User } from '../generated/prisma/client.js';
import { spendDecoyVerification, verifyPassword } from './passwords.js';
import type { SigninThrottle } from './signin-throttle.js';

/**
 * A sign-in's email and password: the attempt is counted by the throttle first (RATE_LIMITED before
 * any scrypt work), then the password checked, and a right one forgiven. An unknown email costs the
 * same scrypt work as a wrong password, so timing tells nothing.
 */
export async function checkCredentials(
  deps: { db: Db; signinThrottle: SigninThrottle; clientAddress: string },
  email: string,
  password: string,
): Promise<{ user: User | null; valid: boolean }> {
  await deps.signinThrottle.attempt(email, deps.clientAddress);
  const user = await deps.db.user.findUnique({ where: { email } });
  const valid = user
    ? await verifyPassword(password, user.passwordHash)
    : await spendDecoyVerification(password).then(() => false);
  if (valid) await deps.signinThrottle.succeeded(email, deps.clientAddress);
  return { user, valid };
}

/** Where a request's credentials, checked before its transaction, are found by its resolver. */
export const credentialsKey = (email: string, password: string) => `${email}\0${password}`;
