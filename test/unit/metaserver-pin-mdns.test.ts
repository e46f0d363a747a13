// `--metaserver auto` takes the metaserver's key from its LAN announcement (TXT `fp`) and
// refuses a metaserver that shows another one: a real announcer and browser on loopback
// (multicast on 127.0.0.1, on a UDP port of the test's own), the discovery module's own seams
// (withDiscoveredMetaserver, the CLI's path), a real metaserver and peer over TCP.
import assert from 'node:assert/strict';
import { ipv4Interfaces } from '@node-core/discovery/interfaces';
import { MdnsAnnouncer } from '@node-core/discovery/mdns-announcer';
import type { PeerArgs } from '@node-core/cli/peer-args';
import { withDiscoveredMetaserver } from '@node-core/cli/discover-metaserver';
import { EventOutput } from '@node-core/cli/output';
import { ephemeralSecurity, NodeIdentity, P2PError } from '@node-core/wire';
import { FloodFixture } from './flood-fixture';
import { freeUdpPort } from './support/free-udp-port';

describe('--metaserver auto: the announced key', function () {
  this.timeout(30_000);
  const net = new FloodFixture();
  const announcers: MdnsAnnouncer[] = [];
  afterEach(async () => {
    await Promise.all(announcers.splice(0).map((a) => a.close()));
    await net.cleanup();
  });

  async function announce(port: number, mdnsPort: number, fingerprint?: string): Promise<void> {
    const interfaces = ipv4Interfaces(['127.0.0.1']);
    announcers.push(
      await MdnsAnnouncer.start({ name: 'Loop net', port, needsKey: false, fingerprint, interfaces, mdnsPort }),
    );
  }

  /** What `p2p-node peer --metaserver auto` makes of the LAN before it starts its peer. */
  async function discover(mdnsPort: number): Promise<PeerArgs> {
    const given: PeerArgs = {
      command: 'peer',
      id: 'auto',
      discover: { durationMs: 1200, interfaces: ['127.0.0.1'], mdnsPort },
      mode: 'flood',
      host: '127.0.0.1',
      port: 0,
      dir: '.',
      maxNeighbors: 4,
      ttl: 7,
      json: true,
    };
    return (await withDiscoveredMetaserver(given, new EventOutput(true))).args;
  }

  it('a metaserver whose key is not the one announced is refused naming both; the right one is joined', async () => {
    const security = ephemeralSecurity('');
    const ms = await net.metaserver({ security });
    const claimed = NodeIdentity.ephemeral().fingerprint;
    const lying = await freeUdpPort();
    await announce(ms.address.port, lying, claimed);
    const args = await discover(lying);
    assert.deepEqual(args.metaserver, { host: '127.0.0.1', port: ms.address.port });
    assert.deepEqual(args.metaserverKey, { fingerprint: claimed, source: 'the LAN announcement' });
    const refused = await net
      .peer('auto', { metaserver: args.metaserver, metaserverKey: args.metaserverKey })
      .catch((err: unknown) => err);
    assert.ok(refused instanceof P2PError && refused.code === 'KEY_CHANGED', String(refused));
    const fp = security.identity.fingerprint;
    assert.ok(refused.message.includes(claimed) && refused.message.includes(fp), refused.message);
    assert.match(refused.message, /the LAN announcement names key/);
    assert.equal(ms.registry.has('auto'), false, 'nothing registered');

    const honest = await freeUdpPort();
    await announce(ms.address.port, honest, fp);
    const right = await discover(honest);
    await net.peer('joined', { metaserver: right.metaserver, metaserverKey: right.metaserverKey });
    assert.equal(ms.registry.has('joined'), true);
  });

  it('an announcement without a key fingerprint is not joined: DISCOVERY_FAILED says what to type', async () => {
    const ms = await net.metaserver();
    const mdnsPort = await freeUdpPort();
    await announce(ms.address.port, mdnsPort);
    const failed = await discover(mdnsPort).catch((err: unknown) => err);
    assert.ok(failed instanceof P2PError && failed.code === 'DISCOVERY_FAILED', String(failed));
    assert.match(
      failed.message,
      /announced no key fingerprint.*--metaserver HOST:PORT \(and its key with --metaserver-fp\)/,
    );
  });
});
