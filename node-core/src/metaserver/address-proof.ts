// The address check, both sides. The metaserver gives a registrant a random token over its
// registration connection, then dials the address the registrant announced and asks the
// listener there for that token. Only the registrant's own listener knows it, so nobody can
// register someone else's address, or one where nothing listens, and have newcomers sent there.
// Over TLS the listener must also hold the registrant's key, under the registrant's id.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Address } from '../events';
import { dial, P2PError, toP2PError, type ChannelSecurity, type Connection, type Incoming } from '../wire';

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

export interface AddressCheckOptions {
  key?: string;
  /** The metaserver's own key pair and pins. */
  security?: ChannelSecurity;
  /** The registrant: the listener must announce this id and hold the key with this fingerprint. */
  registrant?: { id: string; fingerprint: string };
  timeoutMs: number;
}

/**
 * The metaserver's side: dials `address` and expects the listener there to show `token`.
 * Resolves when it does; otherwise throws ADDRESS_UNVERIFIED saying why, within `timeoutMs`.
 */
export async function verifyAddress(address: Address, token: string, options: AddressCheckOptions): Promise<void> {
  const where = `${address.host}:${address.port}`;
  let conn: Connection | undefined;
  try {
    conn = await dial(address, {
      key: options.key,
      security: options.security,
      expectId: options.registrant?.id,
      connectTimeoutMs: options.timeoutMs,
      handshakeTimeoutMs: options.timeoutMs,
      idleTimeoutMs: 0,
    });
    conn.setHandler(() => undefined);
    if (options.registrant && conn.remoteFingerprint !== options.registrant.fingerprint)
      throw new P2PError('ADDRESS_UNVERIFIED', `the peer listening at ${where} holds another key than the registrant`);
    const answer = await conn.request({ t: 'address-check' }, { timeoutMs: options.timeoutMs });
    if (answer.msg.t !== 'address-proof' || !sameToken(answer.msg.token, token))
      throw new P2PError('ADDRESS_UNVERIFIED', `the peer listening at ${where} is not the one registering`);
  } catch (err) {
    const e = toP2PError(err, 'ADDRESS_UNVERIFIED');
    if (e.code === 'ADDRESS_UNVERIFIED') throw e;
    if (e.code === 'ID_MISMATCH' || e.code === 'KEY_CHANGED')
      throw new P2PError(
        'ADDRESS_UNVERIFIED',
        `the peer listening at ${where} is not the one registering: ${e.message}`,
      );
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
