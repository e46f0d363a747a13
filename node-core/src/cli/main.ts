// Placeholder entry of the p2p-node CLI; replaced by the flood issue's CLI.
import { version } from '../../../package.json';

if (process.argv.includes('--version')) {
  process.stdout.write(`p2p-node ${version}\n`);
} else {
  process.stderr.write('usage: p2p-node metaserver|peer|topo|demo [options]\n');
  process.exit(2);
}
