// Where the metaserver opens a relayed circuit: on its own relay, or, when that one is full, on a
// reachable peer that offered to relay for others (`--relay-for-others`, its relay port given at
// registration). The helper is asked over its registration connection (`relay-host`) and answers
// the circuit's two tokens; the ends then connect to the helper as they would to the metaserver.
// A helper sees only TLS records, like the metaserver's relay, and caps what it carries itself.
import type { Address } from '../events';
import { P2PError, type Connection } from '../wire';
import type { RelayHub, RelayTickets } from './relay-hub';

/** Helpers asked, one after another, before the circuit is refused. */
const MAX_HELPERS_ASKED = 3;
const HELPER_TIMEOUT_MS = 3000;

export interface BrokeredCircuit {
  tickets: RelayTickets;
  /** The relay the ends connect to; undefined: the metaserver's own. */
  relay?: Address;
}

export class CircuitBroker {
  /** Peers that relay for others, by id: their relay's address. */
  private readonly helpers = new Map<string, Address>();

  constructor(
    private readonly own: RelayHub,
    private readonly registrationOf: (id: string) => Connection | undefined,
  ) {}

  /** `id` (registered and reachable at `host`) relays for others at `host:port`. */
  offer(id: string, host: string, port: number): void {
    this.helpers.set(id, { host, port });
  }

  forget(id: string): void {
    this.helpers.delete(id);
  }

  /** The metaserver's relay, or when it is full (RATE_LIMITED), a helper's; the first refusal otherwise. */
  async open(dialer: string, target: string): Promise<BrokeredCircuit> {
    try {
      return { tickets: this.own.open(dialer, target) };
    } catch (err) {
      if (!(err instanceof P2PError && err.code === 'RATE_LIMITED')) throw err;
      const helped = await this.openOnHelper(dialer, target);
      if (!helped) throw err;
      return helped;
    }
  }

  private async openOnHelper(dialer: string, target: string): Promise<BrokeredCircuit | undefined> {
    const candidates = [...this.helpers].filter(([id]) => id !== dialer && id !== target);
    // a random start spreads circuits over the helpers
    const start = Math.floor(Math.random() * candidates.length);
    const order = [...candidates.slice(start), ...candidates.slice(0, start)].slice(0, MAX_HELPERS_ASKED);
    for (const [id, relay] of order) {
      const conn = this.registrationOf(id);
      if (!conn?.isOpen) continue;
      const answer = await conn
        .request({ t: 'relay-host', dialer, target }, { timeoutMs: HELPER_TIMEOUT_MS })
        .catch(() => undefined);
      if (answer?.msg.t !== 'relay-tokens') continue;
      const { dialerToken, targetToken } = answer.msg;
      return { tickets: { dialerToken, targetToken }, relay };
    }
    return undefined;
  }
}
