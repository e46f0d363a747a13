// `p2p-node demo`: a metaserver and N peers in this process, each with a few sample files in
// a temporary folder (removed on STOP), so the network and the topology page can be tried at once.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoArgs } from './args';
import { errorEvent } from './errors';
import { runUntilStopped } from './line-input';
import { humanTopology, type EventOutput } from './output';
import { startMetaserver, type RunningMetaserver } from './metaserver-command';
import type { PeerNode } from '../peer';
import { createPeerNode } from './peer-node';

export async function runDemo(args: DemoArgs, out: EventOutput): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'p2p-demo-'));
  const peers: PeerNode[] = [];
  let metaserver: RunningMetaserver | undefined;
  const shutdown = async (): Promise<void> => {
    await Promise.all(peers.map((p) => p.stop().catch(() => undefined)));
    await metaserver?.close();
    await rm(root, { recursive: true, force: true });
  };
  try {
    metaserver = await startMetaserver({ host: '127.0.0.1', port: args.port, httpPort: args.httpPort, key: args.key });
    out.emit(metaserver.ready);
    for (let i = 1; i <= args.peers; i++) {
      const id = `s${i}`;
      const dir = join(root, id);
      await mkdirWithSamples(dir, i);
      const peer = createPeerNode({
        id,
        mode: args.mode,
        host: '127.0.0.1',
        port: 0,
        dir,
        metaserver: { host: '127.0.0.1', port: metaserver.ready.port },
        maxNeighbors: 4,
        ttl: 7,
        key: args.key,
      });
      peers.push(peer);
      out.emit(await peer.start());
    }
  } catch (err) {
    out.emit(errorEvent(err));
    await shutdown();
    return 1;
  }
  out.note(`demo: ${args.peers} ${args.mode} peers sharing sample-N.txt files; type TOPO or STOP`);
  const network = metaserver.server;
  return runUntilStopped(
    {
      onCommand: (command) => {
        if (command.name === 'TOPO') out.note(humanTopology(network.snapshot().peers));
        else out.note('the demo understands TOPO and STOP');
      },
      onBadLine: () => out.note('the demo understands TOPO and STOP'),
      shutdown: () => shutdown().then(() => 0),
    },
    out,
  );
}

async function mkdirWithSamples(dir: string, index: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `sample-${index}.txt`), `Sample file ${index} of the P2P demo network.\n`);
  if (index === 1) await writeFile(join(dir, 'hello.txt'), 'Hello from the P2P demo!\n');
  if (index % 2 === 0) await writeFile(join(dir, `data-${index}.bin`), Buffer.alloc(256 * 1024 * index, index));
}
