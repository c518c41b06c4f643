import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';

// The manual is README.md and docs/; the packages' own READMEs are checked when they exist.
const optionalPages = [
  'services/stripe-local/README.md',
  'examples/shop/README.md',
  ...readdirSync(path.join(rootDir, 'packages')).map((name) => `packages/${name}/README.md`),
].filter((page) => existsSync(path.join(rootDir, page)));
const manual = [
  'README.md',
  ...readdirSync(path.join(rootDir, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const pages = [...manual, ...optionalPages];

const read = (page: string) => readFileSync(path.join(rootDir, page), 'utf8');

/** The page's prose: fenced code blocks blanked, so a link-like line of a shell example is not a link. */
function prose(text: string): string {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (line.trimStart().startsWith('```')) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

// GitHub's anchor for a heading (github-slugger's rule): lower case, punctuation dropped, spaces to hyphens.
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every inline link and image target of a page that is not an address elsewhere. */
function relativeLinks(text: string): string[] {
  return [...prose(text).matchAll(/!?\[(?:[^\]]|\][^(])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const target of relativeLinks(read(page))) {
    const [file, anchor] = target.split('#') as [string, string | undefined];
    const resolved =
      file === '' ? path.join(rootDir, page) : path.resolve(path.dirname(path.join(rootDir, page)), decodeURI(file));
    if (!existsSync(resolved)) {
      broken.push(`${page}: ${target} (no such file)`);
    } else if (
      anchor !== undefined &&
      (!resolved.endsWith('.md') ||
        statSync(resolved).isDirectory() ||
        !anchors(readFileSync(resolved, 'utf8')).has(anchor))
    ) {
      broken.push(`${page}: ${target} (no heading with that anchor)`);
    }
  }
  return broken;
}

const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** `npm run <script>`, and `npm start` / `npm test`; `npm run bench:*` and `service:<name>` name a family. */
function unknownScripts(page: string): string[] {
  const unknown: string[] = [];
  const text = read(page);
  for (const [, name, family] of text.matchAll(/\bnpm\s+run\s+([\w:.-]+)([<*]?)/g)) {
    const known = family ? scripts.some((script) => script.startsWith(name!)) : scripts.includes(name!);
    if (!known) unknown.push(`${page}: npm run ${name}${family}`);
  }
  for (const [, name] of text.matchAll(/\bnpm\s+(start|test)\b/g)) {
    if (!scripts.includes(name!)) unknown.push(`${page}: npm ${name}`);
  }
  return unknown;
}

// Paths the manual names in code spans (`src/payments/locks.ts`): a file that moved leaves them stale.
const TREE_ROOTS = /^(src|services|packages|dev|test|scripts|bench|prisma|docs)\//;
function missingPaths(page: string): string[] {
  return [...prose(read(page)).matchAll(/`([^`\s]+)`/g)]
    .map((match) => match[1]!)
    .filter((name) => TREE_ROOTS.test(name) && !/[<>*…]|\.\.\./.test(name))
    .filter((name) => !existsSync(path.join(rootDir, name)))
    .map((name) => `${page}: ${name}`);
}

describe('the manual (README.md and docs/) points only at what exists', () => {
  it('reads every page of docs/ and the packages that have a README', () => {
    expect(manual).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/callbacks.md']));
  });

  it('every relative link leads to an existing file, and every anchor to a heading of it', () => {
    expect(pages.flatMap(brokenLinks)).toEqual([]);
  });

  it('every `npm run <script>` it names is a script of package.json', () => {
    expect(pages.flatMap(unknownScripts)).toEqual([]);
  });

  it('every repository path it names in code exists', () => {
    expect(manual.flatMap(missingPaths)).toEqual([]);
  });

  it('README.md names every script a person runs', () => {
    const readme = read('README.md');
    const lifecycle = new Set(['postinstall', 'preinstall', 'install', 'prepare', 'prepublishOnly']);
    const unnamed = scripts.filter(
      (script) =>
        !lifecycle.has(script) &&
        !readme.includes(`npm run ${script}`) &&
        !readme.includes(`\`${script}\``) &&
        !readme.includes(`npm ${script}`),
    );
    expect(unnamed).toEqual([]);
  });

  it('finds links and anchors as GitHub does', () => {
    expect(relativeLinks('see [a](docs/a.md#b), [`c`](../c.md), <https://x.org>, [d](https://x.org)')).toEqual([
      'docs/a.md#b',
      '../c.md',
    ]);
    expect(relativeLinks('```sh\n[not](a-link.md)\n```')).toEqual([]);
    expect(anchors("## Stripe's events (POST /stripe/webhook)\n## Alerts: A.b, c\n## Alerts: A.b, c")).toEqual(
      new Set(['stripes-events-post-stripewebhook', 'alerts-ab-c', 'alerts-ab-c-1']),
    );
  });
});
