import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';

/**
 * Each deployable imports only downwards: from its own folder and from packages/base, which imports
 * nothing of theirs. packages/testing (test support) sits above the deployables, and dev/ (what npm start
 * orchestrates), scripts/, bench/ and test/ above them all. The first matching rule decides; a file no
 * rule names may import anything. Imports of packages/testing answer to TESTING instead.
 */
const LAYERS: { files: RegExp; may: RegExp }[] = [
  { files: /^packages\/base\//, may: /^packages\/base\// },
  { files: /^packages\/testing\//, may: /^(packages\/(testing|base)\/|src\/|services\/(?!stripe-local\/))/ },
  { files: /^src\//, may: /^(src|packages\/base)\// },
  { files: /^services\/stripe-local\//, may: /^(services\/stripe-local|packages\/base)\// },
  { files: /^services\/create-customer\//, may: /^(services\/(create-customer|lib)|packages\/base)\// },
  { files: /^services\/charge-customer\//, may: /^(services\/(charge-customer|lib)|packages\/base)\// },
  { files: /^services\//, may: /^(services\/(?!stripe-local\/)|packages\/base\/)/ },
];
/**
 * Test support never ships, so only test code imports it: tests, test support, and the benchmarks and
 * the compiled smoke run (harnesses that drive a stack as tests do, never built into the image).
 */
const TESTING = {
  files: /^packages\/testing\//,
  importers: /(\.test\.ts$|(^|\/)test\/|\/test-support\/|^packages\/testing\/|^bench\/|^scripts\/smoke-compiled\.ts$)/,
};
const ROOTS = ['src', 'services', 'packages', 'dev', 'scripts', 'bench', 'test'];
// A relative path, or a workspace package by its name (@paygraph/<folder under packages/>).
const RELATIVE_IMPORT =
  /(?:^|\s)(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+|@paygraph\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+|@paygraph\/[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(rootDir, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${directory}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'generated' || entry.name === 'public'
        ? []
        : sourceFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(rootDir, file), 'utf8');
  return [...text.matchAll(RELATIVE_IMPORT)].map((match) => {
    const specifier = (match[2] ?? match[3])!;
    const target = specifier.startsWith('@paygraph/')
      ? workspaceFile(specifier)
      : path.posix.join(path.posix.dirname(file), specifier);
    const to = path.posix.normalize(target).replace(/\.js$/, '.ts');
    return { from: file, to, typeOnly: !!match[1] };
  });
}

/** The workspace packages' folders by name, from the root package.json. */
const WORKSPACES = new Map(
  (JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces.map(
    (folder) => {
      const { name } = JSON.parse(readFileSync(path.join(rootDir, folder, 'package.json'), 'utf8')) as { name: string };
      return [name, folder] as const;
    },
  ),
);

/** `@paygraph/testing` is packages/testing/index.ts; `@paygraph/base/logger.js` is packages/base/logger.js. */
function workspaceFile(specifier: string): string {
  const [, name, rest] = /^(@paygraph\/[^/]+)\/?(.*)$/.exec(specifier)!;
  return `${WORKSPACES.get(name!) ?? name}/${rest || 'index.ts'}`;
}

/** Whether this import breaks a rule: test support imported by code that is not a test, or a layer's arrow. */
function wrong(edge: Edge): boolean {
  if (TESTING.files.test(edge.to) && !TESTING.files.test(edge.from)) return !TESTING.importers.test(edge.from);
  // A service's test may use the local Stripe, its Stripe stand-in, through the package's public index only.
  if (edge.from.endsWith('.test.ts') && edge.to === 'services/stripe-local/index.ts') return false;
  const layer = LAYERS.find((rule) => rule.files.test(edge.from));
  return !!layer && !layer.may.test(edge.to);
}

const edges = ROOTS.flatMap(sourceFiles).flatMap(edgesOf);

/** Files caught in a circle of imports that run (type-only imports vanish when compiled). */
function cycles(files: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of files) if (!edge.typeOnly) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') return void found.push(trail.slice(trail.indexOf(file)));
    state.set(file, 'open');
    for (const to of next.get(file) ?? []) visit(to, [...trail, to]);
    state.set(file, 'done');
  };
  for (const file of next.keys()) visit(file, [file]);
  return found;
}

describe('imports: one house, arrows only downwards', () => {
  it('no deployable imports another (src/ and services/ never import each other), and packages/base imports none of them', () => {
    expect(edges.filter(wrong).map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('only tests, test support and the harnesses import packages/testing; the deployables never do', () => {
    const importers = new Set(
      edges.filter((edge) => TESTING.files.test(edge.to) && !TESTING.files.test(edge.from)).map((edge) => edge.from),
    );
    // The rule has something to keep: the services' tests and the end-to-end tests both use it.
    expect([...importers].some((file) => file.startsWith('services/') && file.endsWith('.test.ts'))).toBe(true);
    expect([...importers].some((file) => file.startsWith('test/'))).toBe(true);
    // And it would catch a shipping file that reached for it, by path or by package name.
    for (const [from, to] of [
      ['src/app.ts', 'packages/testing/eventually.ts'],
      ['services/lib/local-stripe.ts', 'packages/testing/listen.ts'],
      ['services/create-customer/index.ts', 'packages/testing/index.ts'],
      ['packages/base/launcher.ts', 'packages/testing/eventually.ts'],
      ['dev/start.ts', 'packages/testing/listen.ts'],
      ['scripts/init-deployment.ts', 'packages/testing/eventually.ts'],
    ] as const) {
      expect(wrong({ from, to, typeOnly: false }), `${from} -> ${to}`).toBe(true);
    }
    expect(edgesOf('packages/testing/index.ts').every((edge) => edge.to.startsWith('packages/testing/'))).toBe(true);
    expect(
      wrong({
        from: 'services/charge-customer/index.test.ts',
        to: 'packages/testing/service-harness.ts',
        typeOnly: false,
      }),
    ).toBe(false);
    // Test support stays below the tests: packages/testing reaches into no test folder.
    expect(wrong({ from: 'packages/testing/listen.ts', to: 'test/support/paygraph.ts', typeOnly: false })).toBe(true);
  });

  it('no package has a circle of imports that run', () => {
    expect(cycles(edges.filter((edge) => !edge.from.startsWith('test/')))).toEqual([]);
  });
});
