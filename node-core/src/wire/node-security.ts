// A node's security as the CLI sets it up: its key pair and its pins kept in a state folder
// (`.p2p` inside a peer's --dir) with the peers it blocked, and the `--trust` allow-list if any.
import { join } from 'node:path';
import { NodeIdentity } from './identity';
import { ephemeralSecurity, type ChannelSecurity } from './secure-channel';
import { DENIED_PEERS_FILE, DenyList } from './deny-list';
import { KNOWN_PEERS_FILE, readAllowList, TrustStore } from './trust-store';

/** The state folder inside a peer's shared directory (a folder: never shared, see files/file-store.ts). */
export const STATE_FOLDER = '.p2p';

export interface NodeSecurityOptions {
  /** The id this node announces ('' for a metaserver or a tool). */
  id: string;
  /** Where the key and pins live; none: a fresh key pair and pins in memory. */
  folder?: string;
  /** Without `folder`: where the key pair alone is kept (pins and blocks in memory). */
  identityFolder?: string;
  /** `--trust FILE`: only these fingerprints get in. */
  trustFile?: string;
}

export async function loadNodeSecurity(
  options: NodeSecurityOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChannelSecurity> {
  const allowList = options.trustFile === undefined ? undefined : readAllowList(options.trustFile);
  if (env.P2P_PLAINTEXT_BENCH_ONLY === '1') return { ...ephemeralSecurity(options.id), plaintextBenchOnly: true };
  if (options.folder === undefined && options.identityFolder !== undefined) {
    const identity = await NodeIdentity.loadOrCreate(options.identityFolder);
    return { identity, id: options.id, trust: TrustStore.inMemory(allowList) };
  }
  if (options.folder === undefined) return ephemeralSecurity(options.id, allowList);
  const [identity, denyList] = await Promise.all([
    NodeIdentity.loadOrCreate(options.folder),
    DenyList.open(join(options.folder, DENIED_PEERS_FILE)),
  ]);
  const trust = await TrustStore.open({ file: join(options.folder, KNOWN_PEERS_FILE), allowList, denyList });
  return { identity, id: options.id, trust };
}
