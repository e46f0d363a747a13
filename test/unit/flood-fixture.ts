// Test fixture for flood networks: a metaserver and in-process peers on 127.0.0.1 with port 0,
// short heartbeats, temp folders; cleanup() closes and removes everything it made.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloodPeer, type FloodPeerOptions } from '../../node-core/src/flood/flood-peer';
import { MetadataServer, type MetadataServerOptions } from '../../node-core/src/metaserver';

export const FAST = {
  heartbeatMs: 150,
  peerTimeoutMs: 900,
  metaserverRetryMs: 150,
  search: { timeoutMs: 600, graceMs: 60 },
};

export class FloodFixture {
  readonly peers: FloodPeer[] = [];
  readonly servers: MetadataServer[] = [];
  private readonly dirs: string[] = [];

  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'p2p-test-'));
    this.dirs.push(dir);
    return dir;
  }

  async metaserver(options: MetadataServerOptions = {}): Promise<MetadataServer> {
    const server = new MetadataServer({ port: 0, peerTimeoutMs: 2000, repairIntervalMs: 300, ...options });
    this.servers.push(server);
    await server.listen();
    return server;
  }

  /** Starts a peer with its own temp folder holding `files` (name → content). */
  async peer(
    id: string,
    options: Partial<FloodPeerOptions> = {},
    files: Record<string, string | Buffer> = {},
  ): Promise<FloodPeer> {
    const dir = options.dir ?? (await this.tempDir());
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const peer = new FloodPeer({ id, dir, ...FAST, ...options });
    this.peers.push(peer);
    await peer.start();
    return peer;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.peers.splice(0).map((p) => p.stop()));
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Polls `check` until it is true or `ms` elapse (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
