// The address check, both sides. The metaserver gives a registrant a random token over its
// registration connection, then dials the address the registrant announced and asks the
// listener there for that token. Only the registrant's own listener knows it, so nobody can
// register someone else's address, or one where nothing listens, and have newcomers sent there.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Address } from '../events';
import { dial, P2PError, toP2PError, type Connection, type Incoming } from '../wire';

/** A peer's side: the token of its latest registration, shown to whoever asks its listener. */
export class AddressProof {
  private token: string | undefined;

  /** Called with each `address-challenge` the metaserver sends this peer. */
  remember(token: string): void {
    this.token = token;
  }

  /** Answers an `address-check` that reached this peer's listener. */
  answer(conn: Connection, incoming: Incoming): void {
    const reply =
      this.token === undefined
        ? conn.replyError(incoming, new P2PError('NOT_FOUND', 'this peer has no registration to prove'))
        : conn.reply(incoming, { t: 'address-proof', token: this.token });
    reply.catch(() => undefined);
  }
}

export function newAddressToken(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The metaserver's side: dials `address` and expects the listener there to show `token`.
 * Resolves when it does; otherwise throws ADDRESS_UNVERIFIED saying why, within `timeoutMs`.
 */
export async function verifyAddress(
  address: Address,
  token: string,
  options: { key?: string; timeoutMs: number },
): Promise<void> {
  const where = `${address.host}:${address.port}`;
  let conn: Connection | undefined;
  try {
    conn = await dial(address, {
      key: options.key,
      connectTimeoutMs: options.timeoutMs,
      handshakeTimeoutMs: options.timeoutMs,
      idleTimeoutMs: 0,
    });
    conn.setHandler(() => undefined);
    const answer = await conn.request({ t: 'address-check' }, { timeoutMs: options.timeoutMs });
    if (answer.msg.t !== 'address-proof' || !sameToken(answer.msg.token, token))
      throw new P2PError('ADDRESS_UNVERIFIED', `the peer listening at ${where} is not the one registering`);
  } catch (err) {
    const e = toP2PError(err, 'ADDRESS_UNVERIFIED');
    if (e.code === 'ADDRESS_UNVERIFIED') throw e;
    throw new P2PError('ADDRESS_UNVERIFIED', `could not verify the address ${where}: ${e.message}`);
  } finally {
    conn?.close();
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
