// A metaserver saying "here I am" on the LAN (DNS-SD over mDNS): on each chosen interface it
// announces its service twice, one second apart (RFC 6762 §8.3), answers queries for the service
// type, and says goodbye (TTL 0) when closed. A stranger's queries cost at most one answer per
// ANSWER_GAP_MS per interface, however many it sends.
import { randomBytes } from 'node:crypto';
import { asksForService, serviceRecords, type ServiceDescription } from './dns-sd';
import type { MdnsInterface } from './interfaces';
import { openLinks, type MdnsLink } from './mdns-link';

const ANSWER_GAP_MS = 250;
const REANNOUNCE_MS = 1000;

export interface AnnouncerOptions {
  /** The network's display name (checked with isNetworkName by the caller). */
  name: string;
  /** The metaserver's TCP port. */
  port: number;
  needsKey: boolean;
  /** The metaserver's key fingerprint, announced in TXT `fp`. */
  fingerprint?: string;
  interfaces: readonly MdnsInterface[];
  /** The mDNS UDP port: 5353 except in tests that want their own. */
  mdnsPort?: number;
}

/** One interface's link and the service as announced there (its address differs per interface). */
class AnnouncedLink {
  private lastAnswer = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly link: MdnsLink,
    readonly service: ServiceDescription,
  ) {
    link.on('query', (packet) => {
      if (asksForService(packet, service)) this.answerSoon();
    });
  }

  announce(): void {
    this.lastAnswer = Date.now();
    void this.link.respond(serviceRecords(this.service));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.link.respond(serviceRecords(this.service, 0));
    await this.link.close();
  }

  private answerSoon(): void {
    if (this.timer) return;
    const wait = this.lastAnswer + ANSWER_GAP_MS - Date.now();
    if (wait <= 0) return this.announce();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.announce();
    }, wait);
  }
}

export class MdnsAnnouncer {
  private reannounce: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly instance: string,
    private readonly links: AnnouncedLink[],
  ) {}

  /** Opens a link per interface and sends the first announcement; fails if any link cannot open. */
  static async start(options: AnnouncerOptions): Promise<MdnsAnnouncer> {
    if (options.interfaces.length === 0) throw new Error('mDNS: no interface to announce on');
    const instance = `p2p-${randomBytes(4).toString('hex')}`;
    const { links, failures } = await openLinks(options.interfaces, options.mdnsPort);
    if (failures.length > 0) {
      await Promise.all(links.map((l) => l.close()));
      throw new Error(failures.join('; '));
    }
    const announced = links.map(
      (link) =>
        new AnnouncedLink(link, {
          instance,
          name: options.name,
          port: options.port,
          address: link.iface.address,
          needsKey: options.needsKey,
          fingerprint: options.fingerprint,
        }),
    );
    const announcer = new MdnsAnnouncer(instance, announced);
    for (const a of announced) a.announce();
    announcer.reannounce = setTimeout(() => announced.forEach((a) => a.announce()), REANNOUNCE_MS);
    return announcer;
  }

  /** The addresses announced, one per interface. */
  get addresses(): string[] {
    return this.links.map((l) => l.service.address);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.reannounce);
      await Promise.all(this.links.map((l) => l.close()));
    })();
    return this.closing;
  }
}
