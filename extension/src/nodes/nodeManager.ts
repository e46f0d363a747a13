// The one owner of every node process the window runs: at most one metadata server and any
// number of peers. Starts them, forwards their events, notices crashes, restarts, and stops
// them all on dispose, with a synchronous kill on process exit so no child outlives the
// extension host. No `vscode` import: the extension wires notifications and views to events.

import type { NodeEvent } from '@node-core/events';
import { Emitter, type Disposable, type Event } from '../util/emitter';
import { ManagedNode, type ManagedNodeOptions, type NodeExit, type NodeLog } from './managedNode';
import type { NodeInfo } from './nodeInfo';
import {
  keyEnvironment,
  metaserverArgs,
  peerArgs,
  pinPorts,
  type MetaserverOptions,
  type PeerOptions,
} from './nodeArgs';

export interface NodeManagerOptions {
  /** Absolute path of dist/p2p-node.js. */
  cliPath: string;
  /** One log per node key, reused across restarts, disposed with the manager. */
  createLog(label: string): NodeLog & Disposable;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  execPath?: string;
}

export interface NodeEventFrom {
  node: ManagedNode;
  event: NodeEvent;
}

export interface NodeCrash {
  node: ManagedNode;
  exit: NodeExit;
}

export const METASERVER_KEY = 'metaserver';
export const peerKey = (id: string): string => `peer:${id}`;

export class NodeManager implements Disposable {
  private readonly nodesByKey = new Map<string, ManagedNode>();
  private readonly nodeSubscriptions = new Map<string, Disposable[]>();
  private readonly logs = new Map<string, NodeLog & Disposable>();
  private readonly changeEmitter = new Emitter<void>();
  private readonly eventEmitter = new Emitter<NodeEventFrom>();
  private readonly crashEmitter = new Emitter<NodeCrash>();
  private readonly killOnExit = (): void => this.killAllNow();
  private disposed = false;
  private stoppingAll = false;

  /** A node was added, removed, or changed status. */
  readonly onDidChangeNodes: Event<void> = this.changeEmitter.event;
  /** Every `--json` event of every node. */
  readonly onNodeEvent: Event<NodeEventFrom> = this.eventEmitter.event;
  /** A running node exited without being asked to. */
  readonly onNodeCrash: Event<NodeCrash> = this.crashEmitter.event;

  constructor(private readonly options: NodeManagerOptions) {
    // 'exit' listeners must be synchronous: SIGKILL is; waiting for STOP is not possible here.
    process.on('exit', this.killOnExit);
  }

  get nodes(): ManagedNode[] {
    return [...this.nodesByKey.values()];
  }

  get metaserver(): ManagedNode | undefined {
    return this.nodesByKey.get(METASERVER_KEY);
  }

  get peers(): ManagedNode[] {
    return this.nodes.filter((node) => node.launch.role === 'peer');
  }

  get runningPeers(): ManagedNode[] {
    return this.peers.filter((node) => node.status === 'running');
  }

  peer(id: string): ManagedNode | undefined {
    return this.nodesByKey.get(peerKey(id));
  }

  get(key: string): ManagedNode | undefined {
    return this.nodesByKey.get(key);
  }

  /** The pids of every process the manager owns right now (for tests and diagnostics). */
  get pids(): number[] {
    return this.nodes.map((node) => node.pid).filter((pid): pid is number => pid !== undefined);
  }

  startMetaserver(options: MetaserverOptions, networkKey?: string): Promise<NodeInfo> {
    const existing = this.metaserver;
    if (existing && existing.status !== 'stopped' && existing.status !== 'crashed') {
      const where = existing.info ? ` at ${existing.info.host}:${existing.info.port}` : '';
      return Promise.reject(new Error(`The metadata server is already ${existing.status}${where}. Stop it first.`));
    }
    return this.startNode(
      new ManagedNode(
        {
          role: 'metaserver',
          key: METASERVER_KEY,
          label: 'the metadata server',
          cliPath: this.options.cliPath,
          args: metaserverArgs(options),
          env: keyEnvironment(networkKey),
          requestedPort: options.port,
        },
        this.nodeOptions(METASERVER_KEY, 'P2P: metadata server'),
      ),
    );
  }

  startPeer(options: PeerOptions, networkKey?: string): Promise<NodeInfo> {
    const key = peerKey(options.id);
    const existing = this.nodesByKey.get(key);
    if (existing && existing.status !== 'stopped' && existing.status !== 'crashed') {
      return Promise.reject(new Error(`This window already runs a peer "${options.id}". Choose another id.`));
    }
    return this.startNode(
      new ManagedNode(
        {
          role: 'peer',
          key,
          label: `peer ${options.id}`,
          cliPath: this.options.cliPath,
          args: peerArgs(options),
          env: keyEnvironment(networkKey),
          cwd: options.dir,
          requestedPort: options.port,
          metaserver: options.join ?? options.metaserver,
          dir: options.dir,
          mode: options.mode,
        },
        this.nodeOptions(key, `P2P: peer ${options.id}`),
      ),
    );
  }

  /** Starts a stopped or crashed node again with the same command line; `env` may carry a new key. */
  restart(key: string, env?: Record<string, string>): Promise<NodeInfo> {
    const old = this.nodesByKey.get(key);
    if (!old) return Promise.reject(new Error(`No node ${key} to restart.`));
    if (old.status === 'running' || old.status === 'starting')
      return Promise.reject(new Error(`${old.launch.label} is already ${old.status}.`));
    const args = old.info ? pinPorts(old.launch.args, old.info) : old.launch.args;
    const launch = { ...old.launch, args, ...(env ? { env } : {}) };
    return this.startNode(new ManagedNode(launch, this.nodeOptions(key, old.launch.label)));
  }

  /** Stops one node and forgets it. */
  async stop(key: string): Promise<void> {
    const node = this.nodesByKey.get(key);
    if (!node) return;
    try {
      await node.stop();
    } finally {
      this.forget(node);
    }
  }

  async stopAll(): Promise<void> {
    // Peers first, so they can say goodbye to each other while the metaserver still listens.
    await Promise.all(this.peers.map((node) => this.stop(node.key)));
    await Promise.all(this.nodes.map((node) => this.stop(node.key)));
  }

  /** True from shutdown() on: the nodes stop because the window closes, not because the user asked. */
  get shuttingDown(): boolean {
    return this.stoppingAll || this.disposed;
  }

  /** Graceful: STOP everyone (bounded by the grace period), then release everything. */
  async shutdown(): Promise<void> {
    if (this.disposed) return;
    this.stoppingAll = true;
    await this.stopAll();
    this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.killAllNow();
    for (const node of this.nodes) this.forget(node);
    process.off('exit', this.killOnExit);
    for (const log of this.logs.values()) log.dispose();
    this.logs.clear();
    this.changeEmitter.dispose();
    this.eventEmitter.dispose();
    this.crashEmitter.dispose();
  }

  logOf(key: string): (NodeLog & Disposable) | undefined {
    return this.logs.get(key);
  }

  private async startNode(node: ManagedNode): Promise<NodeInfo> {
    if (this.disposed) throw new Error('The P2P extension is shutting down.');
    const previous = this.nodesByKey.get(node.key);
    if (previous) this.forget(previous);
    this.nodesByKey.set(node.key, node);
    this.nodeSubscriptions.set(node.key, [
      node.onEvent((event) => this.eventEmitter.fire({ node, event })),
      node.onStatus(() => this.changeEmitter.fire()),
      node.onExit((exit) => {
        if (exit.crashed) this.crashEmitter.fire({ node, exit });
      }),
    ]);
    this.changeEmitter.fire();
    try {
      const info = await node.start();
      if (node.launch.role === 'peer') {
        // The full picture once (neighbours, files already in its folder); changes then arrive as events.
        node.send('TOPO');
        node.send('FILES');
      }
      return info;
    } catch (error) {
      // A node that never became ready leaves nothing behind: no entry, no process.
      await node.stop();
      if (this.nodesByKey.get(node.key) === node) this.forget(node);
      throw error;
    }
  }

  private forget(node: ManagedNode): void {
    for (const subscription of this.nodeSubscriptions.get(node.key) ?? []) subscription.dispose();
    this.nodeSubscriptions.delete(node.key);
    if (this.nodesByKey.get(node.key) === node) {
      this.nodesByKey.delete(node.key);
      node.dispose();
      if (!this.disposed) this.changeEmitter.fire();
    }
  }

  private killAllNow(): void {
    for (const node of this.nodesByKey.values()) node.killNow();
  }

  private nodeOptions(key: string, label: string): ManagedNodeOptions {
    let log = this.logs.get(key);
    if (!log) {
      log = this.options.createLog(label);
      this.logs.set(key, log);
    }
    return {
      log,
      readyTimeoutMs: this.options.readyTimeoutMs,
      stopGraceMs: this.options.stopGraceMs,
      execPath: this.options.execPath,
    };
  }
}
