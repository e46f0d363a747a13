// Test fixture for flood networks: a metaserver and in-process peers on 127.0.0.1 with port 0,
// short heartbeats, temp folders; cleanup() closes and removes everything it made.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloodPeer, type FloodPeerOptions } from '@node-core/flood/flood-peer';
import type { Address } from '@node-core/events';
import { MetadataServer, type MetadataServerOptions } from '@node-core/metaserver';
import { AddressProof } from '@node-core/metaserver/address-proof';
import { ephemeralSecurity, WireServer, type ChannelSecurity, type Connection } from '@node-core/wire';

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
export { waitFor } from './support/wait-for';

/**
 * A listener that passes the metaserver's address check for a registration made by hand: give
 * `proof` to the MetaserverClient, or answer challenges on a raw connection with `answer`.
 */
export async function proofListener(id: string): Promise<{
  address: Address;
  /** The listener's key pair and id: the registering link must use the same. */
  security: ChannelSecurity;
  proof: AddressProof;
  answer: (conn: Connection) => void;
  close: () => Promise<void>;
}> {
  const proof = new AddressProof();
  const security = ephemeralSecurity(id);
  const server = new WireServer({ security });
  server.on('connection', (conn) =>
    conn.setHandler((incoming) => {
      if (incoming.msg.t === 'address-check') proof.answer(conn, incoming);
    }),
  );
  const address = await server.listen('127.0.0.1', 0);
  const answer = (conn: Connection): void =>
    conn.setHandler((incoming) => {
      if (incoming.msg.t !== 'address-challenge') return;
      proof.remember(incoming.msg.token);
      conn.reply(incoming, { t: 'ok' }).catch(() => undefined);
    });
  return { address, security, proof, answer, close: () => server.close() };
}
