// When and where a metaserver announces itself. A metaserver on loopback serves this machine
// only, so it stays silent unless asked (`--announce`: then on loopback only, which no other
// machine hears); one bound beyond loopback is meant to be reached, so it announces unless told
// not to (`--no-announce`), on the interface of its address (or, bound to every interface, on
// each non-loopback one).
import { hostname } from 'node:os';
import { isIPv4 } from 'node:net';
import { isWildcardHost } from '../advertised-host';
import { isNetworkName } from './dns-sd';
import { ipv4Interfaces, type MdnsInterface } from './interfaces';

export type AnnounceChoice = 'yes' | 'no' | 'default';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

export function shouldAnnounce(host: string, choice: AnnounceChoice): boolean {
  return choice === 'default' ? !isLoopbackHost(host) : choice === 'yes';
}

/** The interfaces to announce on for a metaserver bound to `host`; throws when it cannot. */
export function announceInterfaces(host: string): MdnsInterface[] {
  if (host === 'localhost') return ipv4Interfaces(['127.0.0.1']);
  if (isWildcardHost(host)) {
    const external = ipv4Interfaces().filter((i) => !i.internal);
    if (external.length === 0) throw new Error('no non-loopback IPv4 interface to announce on');
    return external;
  }
  if (!isIPv4(host)) throw new Error(`announcing on the LAN needs an IPv4 --host, not "${host}"`);
  // the sender's address is the one peers dial, and lo sends from 127.0.0.1 only
  if (/^127\./.test(host) && host !== '127.0.0.1') throw new Error('announcing on loopback needs --host 127.0.0.1');
  return ipv4Interfaces([host]);
}

/** The display name announced when none is given: this machine's name, when it is a valid one. */
export function defaultNetworkName(): string {
  const name = `P2P on ${hostname().split('.')[0]}`.slice(0, 63);
  return isNetworkName(name) ? name : 'P2P network';
}
