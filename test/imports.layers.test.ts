import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';

/**
 * Each deployable imports only downwards: from its own folder and from packages/base, which imports
 * nothing of theirs. dev/ (what npm start orchestrates), scripts/, bench/ and test/ sit above them all.
 * The first matching rule decides; a file no rule names may import anything.
 */
const LAYERS: { files: RegExp; may: RegExp }[] = [
  { files: /^packages\/base\//, may: /^packages\/base\// },
  { files: /^src\//, may: /^(src|packages\/base)\// },
  { files: /^services\/stripe-local\//, may: /^(services\/stripe-local|packages\/base)\// },
  { files: /^services\/create-customer\//, may: /^(services\/(create-customer|lib)|packages\/base)\// },
  { files: /^services\/charge-customer\//, may: /^(services\/(charge-customer|lib)|packages\/base)\// },
  { files: /^services\//, may: /^(services\/(?!stripe-local\/)|packages\/base\/)/ },
];
const ROOTS = ['src', 'services', 'packages', 'dev', 'scripts', 'bench', 'test'];
const RELATIVE_IMPORT = /(?:^|\s)(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(path.join(rootDir, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${directory}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'generated' || entry.name === 'public' ? [] : sourceFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(rootDir, file), 'utf8');
  return [...text.matchAll(RELATIVE_IMPORT)].map((match) => {
    const specifier = (match[2] ?? match[3])!;
    const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
    return { from: file, to, typeOnly: !!match[1] };
  });
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
    const wrong = edges.filter((edge) => {
      const layer = LAYERS.find((rule) => rule.files.test(edge.from));
      return layer && !layer.may.test(edge.to);
    });
    expect(wrong.map((edge) => `${edge.from} -> ${edge.to}`)).toEqual([]);
    expect(edges.length).toBeGreaterThan(500);
  });

  it('no package has a circle of imports that run', () => {
    expect(cycles(edges.filter((edge) => !edge.from.startsWith('test/')))).toEqual([]);
  });
});
