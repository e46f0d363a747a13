// One path question the store and the extension both ask.
import { isAbsolute, relative } from 'node:path';

/** Whether `path` lies inside `dir` (not `dir` itself). */
export function isInside(path: string, dir: string): boolean {
  const rest = relative(dir, path);
  return rest !== '' && !rest.startsWith('..') && !isAbsolute(rest);
}
