// One multicast-dns socket on one interface: it joins the mDNS group there, sends through that
// interface only, and passes on only packets sent from that interface's subnet. Bound to the
// group address, so no unicast datagram reaches it. Malformed packets are dropped by the library
// before they get here (its 'warning' event), and never end the socket.
import { EventEmitter } from 'node:events';
import type { RemoteInfo } from 'node:dgram';
import makeMdns from 'multicast-dns';
import type { Answer, Packet } from 'dns-packet';
import { MDNS_GROUP, MDNS_PORT } from './dns-sd';
import { onSubnet, type MdnsInterface } from './interfaces';

interface MdnsLinkEvents {
  query: [packet: Packet, source: string];
  response: [packet: Packet, source: string];
}

export class MdnsLink extends EventEmitter<MdnsLinkEvents> {
  private readonly mdns: makeMdns.MulticastDNS;
  private closed = false;
  readonly ready: Promise<void>;

  constructor(
    readonly iface: MdnsInterface,
    port = MDNS_PORT,
  ) {
    super();
    this.mdns = makeMdns({ interface: iface.address, bind: MDNS_GROUP, port, loopback: true, ttl: 255 });
    this.mdns.on('warning', () => undefined);
    this.ready = new Promise((resolve, reject) => {
      this.mdns.once('ready', resolve);
      // also after 'ready': an unheard 'error' would throw out of the socket's callback
      this.mdns.on('error', (err: Error) => reject(new Error(`mDNS on ${iface.address}: ${err.message}`)));
    });
    this.ready.catch(() => undefined);
    const pass = (kind: 'query' | 'response') => (packet: Packet, rinfo: RemoteInfo) => {
      if (!this.closed && onSubnet(iface, rinfo.address)) this.emit(kind, packet, rinfo.address);
    };
    this.mdns.on('query', pass('query'));
    this.mdns.on('response', pass('response'));
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
