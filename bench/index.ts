// `npm run bench`: runs every bench/*.bench.ts, each in its own Node process (so one bench's
// sockets, timers and heap cannot skew the next), one after the other. Every bench file runs
// standalone too: `node --import tsx bench/NAME.bench.ts`. Arguments filter by name:
// `npm run bench -- transfer search`. Adding a bench = adding a file; nothing to register here.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = __dirname;
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((name) => f.includes(name)))
  .sort();

function run(file: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`\n== bench/${file}\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, file)], { stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const failed: string[] = [];
  for (const file of files) if ((await run(file)) !== 0) failed.push(file);
  const failures = failed.length ? `; failed: ${failed.join(', ')}` : '';
  process.stdout.write(`\n${files.length - failed.length}/${files.length} benches ran cleanly${failures}\n`);
  process.exitCode = failed.length ? 1 : 0;
}

void main();
