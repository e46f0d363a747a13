// Helpers shared by the extension's unit tests (here) and its in-VS-Code integration tests
// (test/integration/extension-*.test.ts). No `vscode` import.
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process with this pid still exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `probe` every 100 ms until it gives a value (not undefined/false); throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
