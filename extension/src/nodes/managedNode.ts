// One `p2p-node --json` child process of the extension host: the metadata server or a peer.
// It is the single owner of that process: start (until the `ready` event, bounded), typed
// events, commands on stdin, stop (STOP, then kill after a grace period), dispose. It does
// not import `vscode`: the log is any object with LogOutputChannel's methods.

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Mode, NodeEvent } from '@node-core/events';
import { Emitter, type Event } from '../util/emitter';
import {
  describeEarlyExit,
  describeNodeError,
  describeReadyTimeout,
  NodeError,
  type ErrorSubject,
  type KeyChange,
  type UserFacingError,
} from './errorMessages';
import { waitForEvent } from './eventWait';
import { infoFromReady, withReachability, type NodeInfo, type NodeRole } from './nodeInfo';
import { readNodeOutput, spawnNodeProcess } from './nodeProcess';
import { PeerState } from './peerState';

export type NodeStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** The subset of vscode.LogOutputChannel a node writes to. */
export interface NodeLog {
  trace(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Reveals the log (a LogOutputChannel has it; test logs need not). */
  show?(preserveFocus?: boolean): void;
}

/** Everything needed to (re)start the same node. */
export interface NodeLaunch {
  role: NodeRole;
  /** Unique in the manager: `metaserver` or `peer:<id>`. */
  key: string;
  /** How messages name it: "the metadata server", "peer s1". */
  label: string;
  cliPath: string;
  /** Command-line arguments after the CLI path; `--json` is added. Never the network key. */
  args: string[];
  /** Extra environment, e.g. P2P_NETWORK_KEY (the environment is not visible in `ps`). */
  env?: Record<string, string>;
  cwd?: string;
  /** What the user asked for, to word errors: the port, the metaserver address, the folder. */
  requestedPort?: number;
  metaserver?: string;
  dir?: string;
  mode?: Mode;
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when nobody asked it to stop. */
  unexpected: boolean;
  /** Unexpected, and after it had become ready: the manager tells the user. */
  crashed: boolean;
  stderrTail: string[];
}

export interface ManagedNodeOptions {
  log: NodeLog;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /** The runtime to run the CLI with; the extension host's own binary by default. */
  execPath?: string;
}

const STDERR_TAIL_LINES = 20;

export class ManagedNode {
  private child: ChildProcessWithoutNullStreams | undefined;
  private currentStatus: NodeStatus = 'stopped';
  private readyInfo: NodeInfo | undefined;
  private exitPromise: Promise<NodeExit> | undefined;
  private stopRequested = false;
  private readonly stderrTail: string[] = [];
  private readonly eventEmitter = new Emitter<NodeEvent>();
  private readonly exitEmitter = new Emitter<NodeExit>();
  private readonly statusEmitter = new Emitter<NodeStatus>();

  /** Peers only: neighbours, shared files and downloads, kept up to date from the events. */
  readonly peerState: PeerState | undefined;
  readonly onEvent: Event<NodeEvent> = this.eventEmitter.event;
  readonly onExit: Event<NodeExit> = this.exitEmitter.event;
  readonly onStatus: Event<NodeStatus> = this.statusEmitter.event;

  constructor(
    readonly launch: NodeLaunch,
    private readonly options: ManagedNodeOptions,
  ) {
    this.peerState = launch.role === 'peer' ? new PeerState() : undefined;
  }

  get key(): string {
    return this.launch.key;
  }

  get status(): NodeStatus {
    return this.currentStatus;
  }

  /** Set once the node is ready; kept after it stops so views can still name it. */
  get info(): NodeInfo | undefined {
    return this.readyInfo;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get log(): NodeLog {
    return this.options.log;
  }

  /** Spawns the process and resolves with its info once it reports `ready`. */
  start(): Promise<NodeInfo> {
    if (this.currentStatus === 'starting' || this.currentStatus === 'running' || this.currentStatus === 'stopping') {
      return Promise.reject(new Error(`${this.launch.label} is already ${this.currentStatus}.`));
    }
    const cliArgs = [...this.launch.args, '--json'];
    this.resetForStart();
    this.options.log.info(`starting: p2p-node ${cliArgs.join(' ')}`);
    let child: ChildProcessWithoutNullStreams;
    try {
      child = this.spawnChild(cliArgs);
    } catch (error) {
      this.setStatus('crashed');
      return Promise.reject(this.spawnFailed(String(error)));
    }
    this.child = child;
    child.stdin.on('error', (error) => this.options.log.warn(`stdin: ${error.message}`));
    this.pumpLines(child);
    this.exitPromise = this.watchExit(child);
    return this.untilReady(child);
  }

  private resetForStart(): void {
    this.stopRequested = false;
    this.readyInfo = undefined;
    this.stderrTail.length = 0;
    this.peerState?.clear();
    this.setStatus('starting');
  }

  /** The CLI under the lifeline script, so the node dies with the host. */
  private spawnChild(cliArgs: string[]): ChildProcessWithoutNullStreams {
    const { cliPath, env, cwd } = this.launch;
    return spawnNodeProcess({ execPath: this.options.execPath ?? process.execPath, cliPath, cliArgs, env, cwd });
  }

  private spawnFailed(detail: string): NodeError {
    return new NodeError(
      { code: 'SPAWN_FAILED', message: `Could not start ${this.launch.label}: ${detail}`, action: 'showLog' },
      this.launch.key,
    );
  }

  /** Resolves once the process has exited (whoever stopped it), after status and listeners know. */
  private watchExit(child: ChildProcessWithoutNullStreams): Promise<NodeExit> {
    return new Promise<NodeExit>((resolve) => {
      child.once('close', (code, signal) => {
        const unexpected = !this.stopRequested;
        const exit: NodeExit = {
          code,
          signal,
          unexpected,
          crashed: unexpected && this.currentStatus === 'running',
          stderrTail: [...this.stderrTail],
        };
        this.options.log.info(
          `exited (code ${code ?? '-'}, signal ${signal ?? '-'})${unexpected ? ' unexpectedly' : ''}`,
        );
        this.child = undefined;
        this.setStatus(exit.crashed ? 'crashed' : 'stopped');
        resolve(exit);
        this.exitEmitter.fire(exit);
      });
    });
  }

  /** Resolves with the node's info at its `ready` event; rejects (and stops it) on exit, error or timeout. */
  private untilReady(child: ChildProcessWithoutNullStreams): Promise<NodeInfo> {
    const { log } = this.options;
    const subject = this.errorSubject();
    return new Promise<NodeInfo>((resolve, reject) => {
      const timeoutMs = this.options.readyTimeoutMs ?? 10_000;
      const cleanup = (): void => {
        clearTimeout(timer);
        eventSubscription.dispose();
        exitSubscription.dispose();
        child.off('error', onSpawnError);
      };
      const fail = (error: NodeError): void => {
        cleanup();
        log.error(error.message);
        void this.stop();
        reject(error);
      };
      // An error before `ready` usually means the node cannot start (port taken, id refused) and
      // is about to exit; but a join may also report a stale referral and go on to the next. So
      // the error explains the failure if the node exits or times out, and is forgotten if it
      // gets ready.
      let startError: UserFacingError | undefined;
      let keyChange: KeyChange | undefined;
      const timer = setTimeout(
        () => fail(new NodeError(startError ?? describeReadyTimeout(subject, timeoutMs), this.launch.key)),
        timeoutMs,
      );
      const onSpawnError = (error: Error): void => fail(this.spawnFailed(error.message));
      child.once('error', onSpawnError);
      const eventSubscription = this.onEvent((event) => {
        if (event.event === 'ready') {
          cleanup();
          this.readyInfo = infoFromReady(this.launch, event, child.pid ?? 0);
          this.setStatus('running');
          log.info(`ready at ${this.readyInfo.host}:${this.readyInfo.port} (pid ${this.readyInfo.pid})`);
          resolve(this.readyInfo);
        } else if (event.event === 'error') {
          startError = describeNodeError(event.code, event.message, subject);
          keyChange = event.keyChange;
        }
      });
      const exitSubscription = this.onExit((exit) => {
        cleanup();
        const error = new NodeError(
          startError ?? describeEarlyExit(subject, exit.code, exit.signal, exit.stderrTail),
          this.launch.key,
          keyChange,
        );
        log.error(error.message);
        reject(error);
      });
    });
  }

  /** Writes one command line (`SEARCH f1.txt`) to the node's stdin. */
  send(command: string): void {
    if (!this.child || this.currentStatus !== 'running') throw new Error(`${this.launch.label} is not running.`);
    if (/[\r\n]/.test(command)) throw new Error('A node command is a single line.');
    this.options.log.trace(`> ${command}`);
    this.child.stdin.write(`${command}\n`);
  }

  /**
   * Waits for the first event `accept` maps to a value. Rejects when the node exits, on
   * timeout, or when `signal` aborts. Subscribe before sending the command it answers.
   */
  waitFor<T>(accept: (event: NodeEvent) => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const { label } = this.launch;
    return waitForEvent({ label, onEvent: this.onEvent, onExit: this.onExit }, accept, timeoutMs, signal);
  }

  /** Sends STOP; kills the process if it has not exited after the grace period. Idempotent. */
  async stop(): Promise<NodeExit | undefined> {
    const child = this.child;
    const exited = this.exitPromise;
    if (!child || !exited) return undefined;
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.setStatus('stopping');
      this.options.log.info('stopping');
      // Only STOP: closing stdin would fire the lifeline (SIGTERM) and cut the goodbye short.
      if (child.stdin.writable) child.stdin.write('STOP\n');
    }
    const grace = this.options.stopGraceMs ?? 3000;
    const timer = setTimeout(() => {
      this.options.log.warn(`did not stop within ${grace} ms: killing it`);
      child.kill('SIGKILL');
    }, grace);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous last resort (the extension host is exiting): SIGKILL, no waiting. */
  killNow(): void {
    if (!this.child) return;
    this.stopRequested = true;
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  dispose(): void {
    this.killNow();
    this.eventEmitter.dispose();
    this.exitEmitter.dispose();
    this.statusEmitter.dispose();
  }

  /** Logs the node's output, keeps the info and peer state current, and fires its events. */
  private pumpLines(child: ChildProcessWithoutNullStreams): void {
    const { log } = this.options;
    readNodeOutput(child, {
      onEvent: (event, line) => {
        log.trace(line);
        if (event.event === 'error') log.warn(`${event.code}: ${event.message}`);
        if (event.event === 'reachability' && this.readyInfo) this.readyInfo = withReachability(this.readyInfo, event);
        this.peerState?.apply(event);
        this.eventEmitter.fire(event);
      },
      onText: (line) => log.info(line),
      onStderr: (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        log.warn(line);
      },
    });
  }

  private errorSubject(): ErrorSubject {
    return { node: this.launch.label, port: this.launch.requestedPort, metaserver: this.launch.metaserver };
  }

  private setStatus(status: NodeStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.statusEmitter.fire(status);
  }
}
