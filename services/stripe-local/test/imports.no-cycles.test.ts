import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The package's own modules (tests, their support and bin/ aside), as paths relative to the package. */
function sourceFiles(dir = packageDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'test', 'fixtures', 'bin'].includes(entry.name) ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path.relative(packageDir, full)] : [];
  });
}

/** What a module imports at run time: type-only imports and exports are erased, so they make no edge. */
function runtimeImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !erased(node.importClause))
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly && !allTypes(node.exportClause))
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      ts.isStringLiteral(node.arguments[0]!)
    )
      specifiers.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.normalize(path.join(path.dirname(file), specifier.replace(/\.js$/, '.ts'))));
}

function erased(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // `import './x.js'` runs x
  if (clause.isTypeOnly) return true;
  return (
    clause.name === undefined &&
    clause.namedBindings !== undefined &&
    ts.isNamedImports(clause.namedBindings) &&
    clause.namedBindings.elements.length > 0 &&
    clause.namedBindings.elements.every((element) => element.isTypeOnly)
  );
}

const allTypes = (clause: ts.NamedExportBindings | undefined) =>
  clause !== undefined &&
  ts.isNamedExports(clause) &&
  clause.elements.length > 0 &&
  clause.elements.every((element) => element.isTypeOnly);

/** Every cycle in `graph`, each once, as the path that closes it. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, trail: string[]) => {
    const at = trail.indexOf(file);
    if (at >= 0) return void cycles.push([...trail.slice(at), file]);
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) walk(next, [...trail, file]);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) walk(file, []);
  return cycles;
}

function packageGraph(): Map<string, string[]> {
  return new Map(
    sourceFiles().map((file) => [file, runtimeImports(file, readFileSync(path.join(packageDir, file), 'utf8'))]),
  );
}

describe('stripe-local: its modules import one way', () => {
  it('finds the cycles it is meant to find', () => {
    // The shape of the knot this package had: charges -> refunds -> payment-intents -> charges.
    const knot = new Map([
      ['charges.ts', ['refunds.ts']],
      ['refunds.ts', ['payment-intents.ts', 'errors.ts']],
      ['payment-intents.ts', ['charges.ts']],
      ['errors.ts', []],
    ]);
    expect(cyclesOf(knot)).toEqual([['charges.ts', 'refunds.ts', 'payment-intents.ts', 'charges.ts']]);
    expect(
      runtimeImports(
        'resources/a.ts',
        "import type { B } from './b.js';\nimport { type C } from '../c.js';\nexport type { D } from './d.js';",
      ),
    ).toEqual([]);
    expect(
      runtimeImports(
        'resources/a.ts',
        "import { b, type C } from './b.js';\nexport { d } from '../http/d.js';\nawait import('./e.js');",
      ),
    ).toEqual(['resources/b.ts', 'http/d.ts', 'resources/e.ts']);
  });

  it('has no runtime import cycle', () => {
    const graph = packageGraph();
    expect(graph.size).toBeGreaterThan(20);
    expect(cyclesOf(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('keeps resources/ (records, operations, rendering) free of http/, directly or through another module', () => {
    const graph = packageGraph();
    const reached = (from: string, seen = new Set<string>()): Set<string> => {
      for (const next of graph.get(from) ?? []) if (!seen.has(next)) reached(next, seen.add(next));
      return seen;
    };
    const resources = [...graph.keys()].filter((file) => file.startsWith(`resources${path.sep}`));
    expect(resources.length).toBeGreaterThan(10);
    const leaks = resources.flatMap((file) =>
      [...reached(file)]
        .filter((target) => target.startsWith(`http${path.sep}`))
        .map((target) => `${file} -> ${target}`),
    );
    expect(leaks).toEqual([]);
  });
});
