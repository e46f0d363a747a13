// The one polling wait of the unit tests: a condition, a bound, and what was awaited in the error.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
