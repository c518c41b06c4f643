import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServiceEnv } from '../services/lib/service-env.js';
import { loadConfig, rootDir } from '../src/config.js';
import { withSecretFiles } from '../packages/base/secret-files.js';
import prismaConfig from '../prisma.config.js';

const SECRET = `whsec_${Buffer.from('a-secret-of-thirty-two-bytes-...').toString('base64')}`;
const TOKEN = 'pgt_from_a_file';

const folders: string[] = [];
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

function secretFile(content: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'paygraph-secret-'));
  folders.push(folder);
  const file = path.join(folder, 'value');
  writeFileSync(file, content);
  return file;
}

describe('secrets from *_FILE variables', () => {
  it('reads NAME from the file NAME_FILE names, trimmed, and lets NAME itself win', () => {
    const file = secretFile(`${SECRET}\n`);
    expect(
      withSecretFiles({ CALLBACK_SIGNING_SECRET_FILE: file }, ['CALLBACK_SIGNING_SECRET']).CALLBACK_SIGNING_SECRET,
    ).toBe(SECRET);
    expect(
      withSecretFiles({ CALLBACK_SIGNING_SECRET_FILE: file, CALLBACK_SIGNING_SECRET: 'whsec_x' }, [
        'CALLBACK_SIGNING_SECRET',
      ]).CALLBACK_SIGNING_SECRET,
    ).toBe('whsec_x');
  });

  it('refuses a missing or empty file, naming the variable', () => {
    expect(() => withSecretFiles({ A_FILE: '/nonexistent/paygraph' }, ['A'])).toThrow(
      'A_FILE: cannot read /nonexistent/paygraph (ENOENT)',
    );
    expect(() => withSecretFiles({ A_FILE: secretFile('\n') }, ['A'])).toThrow(/A_FILE: .* is empty/);
  });

  it('feeds the API configuration and the services', () => {
    expect(loadConfig({ CALLBACK_SIGNING_SECRET_FILE: secretFile(SECRET) }).CALLBACK_SIGNING_SECRET).toBe(SECRET);
    const service = loadServiceEnv('charge-customer', {
      CALLBACK_SIGNING_SECRET_FILE: secretFile(SECRET),
      CHARGE_CUSTOMER_TOKEN_FILE: secretFile(TOKEN),
      STRIPE_SECRET_KEY: 'sk_test_x',
    });
    expect(service).toMatchObject({ signingSecret: SECRET, accessToken: TOKEN });
  });
});

describe("the services' STRIPE_RETURN_URL", () => {
  const env = { CALLBACK_SIGNING_SECRET: SECRET, CREATE_CUSTOMER_TOKEN: TOKEN, STRIPE_SECRET_KEY: 'sk_test_x' };
  it("defaults to the operator's page at PUBLIC_URL, else at the API's address; STRIPE_RETURN_URL wins", () => {
    expect(loadServiceEnv('create-customer', env).stripeReturnUrl).toBe('http://localhost:4000/console/');
    expect(
      loadServiceEnv('create-customer', { ...env, PAYGRAPH_API_URL: 'http://api.internal:4000/graphql' })
        .stripeReturnUrl,
    ).toBe('http://api.internal:4000/console/');
    expect(loadServiceEnv('create-customer', { ...env, PUBLIC_URL: 'https://pay.example.com' }).stripeReturnUrl).toBe(
      'https://pay.example.com/console/',
    );
    const chosen = { ...env, PUBLIC_URL: 'https://pay.example.com', STRIPE_RETURN_URL: 'https://shop.example/done' };
    expect(loadServiceEnv('create-customer', chosen).stripeReturnUrl).toBe('https://shop.example/done');
    expect(() => loadServiceEnv('create-customer', { ...env, STRIPE_RETURN_URL: 'not a url' })).toThrow(
      'STRIPE_RETURN_URL',
    );
  });
});

describe('production configuration', () => {
  it('requires DATABASE_URL: the embedded server is for development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('DATABASE_URL is required in production');
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/paygraph' }).DATABASE_URL).toBe(
      'postgresql://db/paygraph',
    );
  });

  it('resolves files from the repository root, which holds package.json', () => {
    expect(loadConfig({}).CALLBACKS_FILE).toBe(path.join(rootDir, 'callbacks.yml'));
    expect(path.basename(rootDir)).not.toBe('dist');
  });
});

describe("npm start's process layout", () => {
  it("puts the worker in a process of its own on more than 2 cores, in the API's on fewer, unless WORKER_PROCESS says", () => {
    expect(loadConfig({}).WORKER_PROCESS).toBe(availableParallelism() > 2);
    expect(loadConfig({ WORKER_PROCESS: 'true' }).WORKER_PROCESS).toBe(true);
    expect(loadConfig({ WORKER_PROCESS: '0' }).WORKER_PROCESS).toBe(false);
    expect(() => loadConfig({ WORKER_PROCESS: 'yes please' })).toThrow(/WORKER_PROCESS/);
  });

  it('bounds the heap growth at 20% unless told otherwise; 0 leaves it to V8', () => {
    expect(loadConfig({}).HEAP_GROWING_PERCENT).toBe(20);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });
});

describe('prisma.config.ts, for the Prisma CLI', () => {
  it('names the schema, the migrations folder and DATABASE_URL', () => {
    expect(prismaConfig.schema).toBe('prisma/schema.prisma');
    expect(prismaConfig.migrations?.path).toBe('prisma/migrations');
    expect(prismaConfig.datasource?.url).toBe(process.env.DATABASE_URL);
  });
});
