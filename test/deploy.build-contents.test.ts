import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../src/config.js';

/**
 * What `npm run build` compiles: tsconfig.build.json's files and every file they import, as tsc finds
 * them (an import from src/ would pull the emulator back in even with its folder excluded).
 */
function compiledFiles(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(rootDir, 'tsconfig.build.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!parsed) throw new Error('tsconfig.build.json did not parse');
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  return program
    .getSourceFiles()
    .map((file) => path.relative(rootDir, file.fileName))
    .filter((file) => !file.startsWith('..') && !file.includes('node_modules') && !file.endsWith('.d.ts'));
}

describe('the production build', () => {
  it('compiles no local Stripe emulator and no test support', () => {
    const files = compiledFiles();
    expect(files).toContain(path.join('src', 'main.ts'));
    expect(files).toContain(path.join('services', 'lib', 'local-stripe.ts'));
    const unwanted = files.filter(
      (file) =>
        file.startsWith(path.join('services', 'stripe-local')) ||
        file.startsWith(path.join('packages', 'testing')) ||
        file.split(path.sep).some((part) => part === 'test' || part === 'test-support') ||
        file.endsWith('.test.ts'),
    );
    expect(unwanted).toEqual([]);
  });
});
