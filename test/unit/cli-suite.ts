// The shared setup of suites that run p2p-node as processes: one CLI bundled from source for
// the suite, and after each test every process killed and every temp folder removed.
import { bundleCli, CliProcess, removeCliBundle } from './cli-process';
import { FloodFixture } from './flood-fixture';

export interface CliSuite {
  /** Path of the bundled CLI (set in `before`). */
  cli: string;
  /** Processes to kill after the test: push every one you start. */
  readonly procs: CliProcess[];
  readonly fixture: FloodFixture;
}

/** Registers the mocha hooks in the calling `describe`. */
export function useCliProcesses(): CliSuite {
  const suite: CliSuite = { cli: '', procs: [], fixture: new FloodFixture() };
  before(async () => {
    suite.cli = await bundleCli();
  });
  after(() => removeCliBundle());
  afterEach(async () => {
    await Promise.all(suite.procs.splice(0).map((p) => p.kill()));
    await suite.fixture.cleanup();
  });
  return suite;
}
