import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Docker's convention for secrets: `NAME_FILE` names a file holding NAME's value, so a generated secret
 * travels in a volume rather than in the environment or the image. NAME itself, when set, wins.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (env[name] || !file) continue;
    let value: string;
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(
        `${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        { cause: error },
      );
    }
    if (!value) throw new Error(`${name}_FILE: ${file} is empty`);
    resolved[name] = value;
  }
  return resolved;
}

/**
 * Writes a secret readable by its owner only. `writeFileSync`'s mode applies only to a file it
 * creates: a file that was there, with a wider mode, is narrowed too.
 */
export function writeSecretFile(file: string, value: string): void {
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A local Stripe key no one else knows, so it names an account at the local Stripe no one else can act as. */
export const newLocalStripeKey = () => `sk_test_${randomBytes(32).toString('hex')}`;
