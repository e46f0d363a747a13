// One multicast-dns socket on one interface: it joins the mDNS group there, sends through that
// interface only, and passes on only packets sent from that interface's subnet. Bound to the
// group address, so no unicast datagram reaches it. Malformed packets are dropped by the library
// before they get here (its 'warning' event), and never end the socket.
import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import type makeMdns from 'multicast-dns';
import type { Answer, Packet } from 'dns-packet';
import { MDNS_GROUP, MDNS_PORT } from './dns-sd';
import { onSubnet, type MdnsInterface } from './interfaces';

interface MdnsLinkEvents {
  query: [packet: Packet, source: string];
  response: [packet: Packet, source: string];
}

export class MdnsLink extends EventEmitter<MdnsLinkEvents> {
  private closed = false;

  private constructor(
    readonly iface: MdnsInterface,
    private readonly mdns: makeMdns.MulticastDNS,
  ) {
    super();
    const pass = (kind: 'query' | 'response') => (packet: Packet, rinfo: RemoteInfo) => {
      if (!this.closed && onSubnet(iface, rinfo.address)) this.emit(kind, packet, rinfo.address);
    };
    mdns.on('query', pass('query'));
    mdns.on('response', pass('response'));
  }

  /** Binds and joins the group on `iface`; rejects (with nothing left open) when it cannot. */
  static async open(iface: MdnsInterface, port = MDNS_PORT): Promise<MdnsLink> {
    // loaded on first use: the extension bundles this, and activation should not pay for the DNS codec
    const { default: create } = await import('multicast-dns');
    const mdns = create({ interface: iface.address, bind: MDNS_GROUP, port, loopback: true, ttl: 255 });
    mdns.on('warning', () => undefined);
    let failure: Error | undefined;
    // also after 'ready': an unheard 'error' would throw out of the socket's callback
    mdns.on('error', (err: Error) => (failure ??= err));
    await new Promise<void>((resolve) => {
      mdns.once('ready', resolve);
      mdns.once('error', () => resolve());
    });
    if (failure) {
      await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
      throw new Error(`mDNS on ${iface.address}: ${failure.message}`);
    }
    return new MdnsLink(iface, mdns);
  }

  respond(answers: Answer[]): Promise<void> {
    return this.sending((done) => this.mdns.respond({ answers }, done));
  }

  query(name: string): Promise<void> {
    return this.sending((done) => this.mdns.query({ questions: [{ name, type: 'PTR' }] }, done));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.mdns.destroy(() => resolve()));
  }

  /** A send that fails (interface gone, network down) is not worth more than a missed packet. */
  private sending(send: (done: (err?: Error | null) => void) => void): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => send(() => resolve()));
  }
}

/** Opens a link on each interface; those that fail are closed and reported, the rest returned. */
export async function openLinks(
  interfaces: readonly MdnsInterface[],
  port?: number,
): Promise<{ links: MdnsLink[]; failures: string[] }> {
  const opened = await Promise.allSettled(interfaces.map((iface) => MdnsLink.open(iface, port)));
  const links: MdnsLink[] = [];
  const failures: string[] = [];
  for (const o of opened) {
    if (o.status === 'fulfilled') links.push(o.value);
    else failures.push(o.reason instanceof Error ? o.reason.message : String(o.reason));
  }
  return { links, failures };
}
