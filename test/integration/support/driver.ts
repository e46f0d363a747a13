// The extension-test side of the Playwright driver handshake (scripts/run-vscode-tests.mjs):
// a test prints a line the driver waits for, the driver looks at the workbench page and
// replies through a file in the channel folder, the test reads the reply.

import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** True when `test/integration/driver/<name>.mjs` runs beside this suite (code-server runs only). */
export function driverRunning(name: string): boolean {
  return (process.env.P2P_TEST_DRIVERS_RUNNING ?? '').split(',').includes(name);
}

/** Waits for the driver's reply(value) and returns the value. */
export async function driverReply<T>(name: string, timeoutMs = 20_000): Promise<T> {
  const channel = process.env.P2P_TEST_CHANNEL;
  if (!channel) throw new Error('P2P_TEST_CHANNEL is not set: not run by scripts/run-vscode-tests.mjs');
  const file = path.join(channel, `${name}.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      const value = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
      fs.rmSync(file); // the same driver may answer again later
      return value;
    }
    await sleep(100);
  }
  throw new Error(`driver ${name} did not reply within ${timeoutMs} ms (see its output above)`);
}
