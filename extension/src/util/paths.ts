// Path questions the commands ask.

import { isAbsolute, relative } from 'node:path';

/** Whether `path` lies inside `dir` (not `dir` itself). */
export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
