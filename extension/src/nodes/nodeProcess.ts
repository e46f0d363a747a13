// The `p2p-node` child process itself: spawned under a lifeline so it dies with the extension host,
// and its output read as lines (stdout: JSON events or plain text; stderr: diagnostics).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseNodeEvent, type NodeEvent } from '@node-core/events';
import { LineSplitter } from './lineSplitter';

/**
 * The lifeline: the node is started through this one-liner, which runs the CLI unchanged but
 * turns the end of its stdin into SIGTERM (the CLI's graceful stop). The extension host holds
 * the other end of that pipe, so however the host dies (even SIGKILL, where no 'exit' handler
 * runs) the OS closes the pipe and the node follows: no orphan outlives the window.
 * `-e CODE -- CLI ARGS` leaves process.argv exactly as `node CLI ARGS` would.
 */
export const LIFELINE_SCRIPT =
  "process.stdin.on('end',()=>process.kill(process.pid,'SIGTERM'));process.stdin.resume();require(process.argv[1]);";

export interface NodeSpawn {
  /** The runtime to run the CLI with. */
  execPath: string;
  cliPath: string;
  cliArgs: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** The CLI under the lifeline script, so the node dies with the host. Throws when it cannot spawn. */
export function spawnNodeProcess(how: NodeSpawn): ChildProcessWithoutNullStreams {
  return spawn(how.execPath, ['-e', LIFELINE_SCRIPT, '--', how.cliPath, ...how.cliArgs], {
    cwd: how.cwd,
    // ELECTRON_RUN_AS_NODE makes desktop VS Code's Electron binary behave as plain node;
    // code-server's extension host is node already and ignores it.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...how.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
}

export interface NodeOutputHandlers {
  /** A stdout line that is a contract event. */
  onEvent(event: NodeEvent, line: string): void;
  /** A stdout line that is not (human text). */
  onText(line: string): void;
  onStderr(line: string): void;
}

/** Reads the child's stdout and stderr as non-blank lines until they end. */
export function readNodeOutput(child: ChildProcessWithoutNullStreams, handlers: NodeOutputHandlers): void {
  const stdout = new LineSplitter();
  const stderr = new LineSplitter();
  const onStdout = (line: string): void => {
    if (line.trim() === '') return;
    const event = parseNodeEvent(line);
    if (event) handlers.onEvent(event, line);
    else handlers.onText(line);
  };
  const onStderr = (line: string): void => {
    if (line.trim() !== '') handlers.onStderr(line);
  };
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk).forEach(onStdout));
  child.stdout.on('end', () => stdout.end().forEach(onStdout));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk).forEach(onStderr));
  child.stderr.on('end', () => stderr.end().forEach(onStderr));
}
