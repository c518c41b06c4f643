import { readFileSync } from 'node:fs';

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
      throw new Error(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (!value) throw new Error(`${name}_FILE: ${file} is empty`);
    resolved[name] = value;
  }
  return resolved;
}
