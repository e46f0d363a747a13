// Entry of the `p2p-node` CLI (dist/p2p-node.js): parse, dispatch, exit. Usage errors exit 2.
import { version } from '../../../package.json';
import { parseCli } from './args';
import { UsageError, USAGE } from './usage';
import { runDemo } from './demo-command';
import { runGet } from './get-command';
import { runMetaserver } from './metaserver-command';
import { EventOutput } from './output';
import { runPeer } from './peer-command';
import { runTopo } from './topo-command';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`p2p-node: ${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (args.command === 'version') {
    process.stdout.write(`p2p-node ${version}\n`);
    return 0;
  }
  const out = new EventOutput(args.json);
  switch (args.command) {
    case 'metaserver':
      return runMetaserver(args, out);
    case 'peer':
      return runPeer(args, out);
    case 'topo':
      return runTopo(args, out);
    case 'get':
      return runGet(args, out);
    case 'demo':
      return runDemo(args, out);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // exit only once stdout is flushed, so a piped reader gets the last event ("stopped")
    process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`p2p-node: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
