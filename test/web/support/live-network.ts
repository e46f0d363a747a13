// A live network for the acceptance tests: the real CLI (dist/p2p-node.js, so run
// `npm run build` first) as a metaserver with its bridge, and real flood peers over TCP, each a
// child process driven through stdin like a user would. close() stops every process it started.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { parseNodeEvent, type NodeEvent } from '@node-core/events';
import type { TopologySnapshot } from '@node-core/topology';

const CLI = path.resolve('dist/p2p-node.js');
const READY_TIMEOUT_MS = 10_000;

export class NodeProcess {
  readonly events: NodeEvent[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const event = parseNodeEvent(line);
      if (!event) return;
      this.events.push(event);
      for (const wake of this.waiters) wake();
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.stderrTail = () => stderr;
  }

  readonly stderrTail: () => string;

  command(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Resolves with the first event (already seen or coming) that matches. */
  waitForEvent<E extends NodeEvent>(match: (e: NodeEvent) => e is E, timeoutMs = READY_TIMEOUT_MS): Promise<E> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${this.name}: no matching event in ${timeoutMs} ms; ` +
              `events ${JSON.stringify(this.events)}; stderr ${this.stderrTail()}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) this.waiters.add(wake);
      this.exited.then(
        () => {
          if (this.waiters.has(wake)) {
            cleanup();
            reject(new Error(`${this.name} exited: ${this.stderrTail()}`));
          }
        },
        () => undefined,
      );
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

export class LiveNetwork {
  readonly peers = new Map<string, NodeProcess>();
  private readonly root = mkdtempSync(path.join(tmpdir(), 'p2p-web-live-'));
  private constructor(
    readonly metaserver: NodeProcess,
    readonly metaserverPort: number,
    readonly httpPort: number,
    readonly pageUrl: string,
  ) {}

  static async start(): Promise<LiveNetwork> {
    const metaserver = new NodeProcess(
      'metaserver',
      spawnCli(['metaserver', '--port', '0', '--http-port', '0', '--json']),
    );
    try {
      const ready = await metaserver.waitForEvent(
        (e): e is Extract<NodeEvent, { role: 'metaserver' }> => e.event === 'ready' && e.role === 'metaserver',
      );
      if (!ready.url || !ready.httpPort)
        throw new Error(`metaserver ready without url/httpPort: ${JSON.stringify(ready)}`);
      return new LiveNetwork(metaserver, ready.port, ready.httpPort, ready.url);
    } catch (error) {
      await metaserver.stop();
      throw error;
    }
  }

  get token(): string {
    return new URL(this.pageUrl).searchParams.get('token') ?? '';
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** Starts a peer sharing one small file named `<id>.txt`; `extra`: more CLI flags. */
  async addPeer(id: string, mode: 'flood' | 'chord' = 'flood', extra: string[] = []): Promise<NodeProcess> {
    const dir = path.join(this.root, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${id}.txt`), `shared by ${id}\n`);
    const peer = new NodeProcess(
      id,
      spawnCli([
        'peer',
        '--id',
        id,
        '--metaserver',
        `127.0.0.1:${this.metaserverPort}`,
        '--port',
        '0',
        '--dir',
        dir,
        '--mode',
        mode,
        '--json',
        ...extra,
      ]),
    );
    this.peers.set(id, peer);
    await peer.waitForEvent((e) => e.event === 'ready');
    return peer;
  }

  async topology(): Promise<TopologySnapshot> {
    const response = await fetch(`${this.baseUrl}/api/topology`, {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new Error(`GET /api/topology: ${response.status}`);
    return (await response.json()) as TopologySnapshot;
  }

  /** Waits until the metaserver sees exactly these peers, each with at least one link. */
  async waitForPeers(ids: string[], timeoutMs = 10_000): Promise<TopologySnapshot> {
    const want = [...ids].sort().join(',');
    const deadline = Date.now() + timeoutMs;
    let snapshot: TopologySnapshot = { peers: [] };
    while (Date.now() < deadline) {
      snapshot = await this.topology();
      const have = snapshot.peers
        .map((p) => p.id)
        .sort()
        .join(',');
      const linked =
        ids.length < 2 ||
        snapshot.peers.every((p) => p.neighbors.length > 0 || snapshot.peers.some((q) => q.neighbors.includes(p.id)));
      if (have === want && linked) return snapshot;
      await sleep(100);
    }
    throw new Error(`network did not settle on ${want}: ${JSON.stringify(snapshot)}`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => p.stop()));
    await this.metaserver.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function spawnCli(args: string[]): ChildProcessWithoutNullStreams {
  const env = { ...process.env };
  delete env.P2P_NETWORK_KEY; // an open test network, whatever the developer's shell holds
  return spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
}
