// The mode switch: which overlay's peer the CLI runs. Adding an overlay is one more case.
import { ChordPeer } from '../chord/chord-peer';
import { FloodPeer } from '../flood/flood-peer';
import type { PeerNode, PeerOptions } from '../peer';
import type { PeerArgs } from './args';

export function createPeerNode(args: Omit<PeerArgs, 'command' | 'json'>): PeerNode {
  const common: PeerOptions = {
    id: args.id,
    host: args.host,
    advertise: args.advertise,
    port: args.port,
    dir: args.dir,
    key: args.key,
    metaserver: args.metaserver,
    join: args.join,
    heartbeatMs: args.heartbeatMs,
    maxUploadBytesPerSecond: args.maxUploadBytesPerSecond,
  };
  if (args.mode === 'chord') return new ChordPeer(common);
  return new FloodPeer({ ...common, maxNeighbors: args.maxNeighbors, ttl: args.ttl });
}
