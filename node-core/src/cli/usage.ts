// The `p2p-node` usage text and the error that prints it: main shows USAGE and exits 2 on a UsageError.
export const USAGE = `usage:
  p2p-node metaserver [--host 127.0.0.1] [--port 5000] [--http-port N] [--max-peers N] [--dir DIR | --identity-dir DIR]
                     [--trust FILE] [--key K] [--json] [--announce | --no-announce] [--network-name NAME]
                     [--relay-port 0] [--relay-rate RATE]
  p2p-node peer --id ID [--metaserver 127.0.0.1:5000 | --metaserver auto | --join HOST:PORT] [--mode flood|chord]
                [--metaserver-fp FINGERPRINT] [--discover-ms 3000] [--discover-interface IPV4]...
                [--host 127.0.0.1] [--advertise HOST] [--port 0] [--dir .] [--max-neighbors 4] [--ttl 7]
                [--max-upload RATE] [--allow-relay] [--punch] [--relay-for-others [--relay-cap RATE]]
                [--trust FILE] [--key K] [--json]
  p2p-node topo [--metaserver 127.0.0.1:5000] [--metaserver-fp FINGERPRINT] [--trust FILE] [--key K] [--json]
  p2p-node get LINK [--dir .] [--host 127.0.0.1] [--trust FILE] [--key K] [--json]
  p2p-node demo [--peers 5] [--mode flood|chord] [--http-port 8080] [--key K] [--json]
  p2p-node --version
The network key may also come from the environment: P2P_NETWORK_KEY.
--allow-relay: a peer the metaserver cannot dial back (behind NAT) is reached through the metaserver's
relay (its --relay-port, capped by --relay-rate) instead of being refused; links stay end-to-end TLS.
--punch: a relayed link between two relayed peers moves to a direct path when a TCP hole punch works.
--relay-for-others: a reachable peer relays for others when the metaserver's relay is full (--relay-cap RATE
caps its bytes per second; 16 circuits at once, 4 per peer, idle ones dropped after 60 s).
Every link is TLS 1.3. A peer keeps its key pair and the keys of the peers it has met in DIR/.p2p
(a metaserver in its --dir, if given); --trust FILE admits only the fingerprints listed in FILE.
A peer pins its metaserver's key under its address on first use and refuses another key there;
--metaserver-fp FINGERPRINT says up front which key it must have. A metaserver keeps its key only with --dir,
or with --identity-dir DIR (its key pair alone: the peers' keys it meets stay in memory).
A metaserver bound beyond loopback announces itself on the LAN (mDNS); on loopback only with --announce.
--metaserver auto: the one network announced on the LAN within --discover-ms, with the key it announced.
Tuning (tests, benchmarks): --heartbeat-ms N (peer and metaserver timeouts follow it).`;

export class UsageError extends Error {}
