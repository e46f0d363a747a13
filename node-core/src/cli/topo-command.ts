// `p2p-node topo`: print the whole network once, as the metaserver sees it.
import { fetchTopology } from '../metaserver';
import { loadNodeSecurity } from '../wire';
import type { TopoArgs } from './args';
import { errorEvent } from './errors';
import { humanTopology, type EventOutput } from './output';

export async function runTopo(args: TopoArgs, out: EventOutput): Promise<number> {
  try {
    const security = await loadNodeSecurity({ id: '', trustFile: args.trust });
    const peers = await fetchTopology(args.metaserver, {
      key: args.key,
      security,
      timeoutMs: 5000,
      expectedKey: args.metaserverKey,
    });
    if (args.json) process.stdout.write(`${JSON.stringify({ peers })}\n`);
    else process.stdout.write(`${humanTopology(peers)}\n`);
    return 0;
  } catch (err) {
    out.emit(errorEvent(err, 'METASERVER_UNREACHABLE'));
    return 1;
  }
}
