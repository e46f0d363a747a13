// The mode switch: which overlay's peer the CLI runs. Adding an overlay is one more case.
import { ChordPeer } from '../chord/chord-peer';
import { FloodPeer } from '../flood/flood-peer';
import type { PeerNode, PeerOptions } from '../peer';
import type { ChannelSecurity } from '../wire';
import type { PeerArgs } from './peer-args';

/** `security`: the node's key pair and pins (default: fresh ones in memory, as in `demo`). */
export function createPeerNode(args: Omit<PeerArgs, 'command' | 'json'>, security?: ChannelSecurity): PeerNode {
  const common: PeerOptions = {
    id: args.id,
    host: args.host,
    advertise: args.advertise,
    allowRelay: args.allowRelay,
    punch: args.punch,
    relayForOthers: args.relayForOthers,
    port: args.port,
    dir: args.dir,
    key: args.key,
    security,
    metaserver: args.metaserver,
    metaserverKey: args.metaserverKey,
    join: args.join,
    heartbeatMs: args.heartbeatMs,
    maxUploadBytesPerSecond: args.maxUploadBytesPerSecond,
  };
  if (args.mode === 'chord') return new ChordPeer(common);
  return new FloodPeer({ ...common, maxNeighbors: args.maxNeighbors, ttl: args.ttl });
}
