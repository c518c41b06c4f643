import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localStripeKey, localStripeKeyFile } from './stripe-key.js';

describe('localStripeKey', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    dirs.push(mkdtempSync(path.join(tmpdir(), 'paygraph-stripe-key-')));
    return dirs.at(-1)!;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is random at first start, kept readable by its owner only, and the same at the next start', () => {
    const [first, other] = [dataDir(), dataDir()];
    const made = localStripeKey(first);
    expect(made).toEqual({ key: expect.stringMatching(/^sk_test_[0-9a-f]{64}$/), file: localStripeKeyFile(first) });
    expect(statSync(made.file).mode & 0o777).toBe(0o600);
    expect(localStripeKey(first).key).toBe(made.key);
    expect(localStripeKey(other).key).not.toBe(made.key);
  });

  it('a file that holds no test key is replaced by a new key', () => {
    const dir = dataDir();
    writeFileSync(localStripeKeyFile(dir), 'sk_live_not_for_the_emulator\n');
    expect(localStripeKey(dir).key).toMatch(/^sk_test_[0-9a-f]{64}$/);
  });
});
