import { fileURLToPath } from 'node:url';

/**
 * The node arguments that run a script beside the caller's own build: the compiled `.js` as it is,
 * or the `.ts` source under tsx when the caller itself runs from source.
 */
export function launcherArgs(pathWithoutExtension: string, callerUrl: string): string[] {
  const compiled = callerUrl.endsWith('.js');
  const file = fileURLToPath(new URL(`${pathWithoutExtension}.${compiled ? 'js' : 'ts'}`, callerUrl));
  return compiled ? [file] : ['--import', 'tsx', file];
}
