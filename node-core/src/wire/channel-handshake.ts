// The handshake inside a fresh TLS channel: one `hello` each way. The dialer speaks first; the
// listener checks the dialer's hello before it says anything, then answers with its own. A
// hello names the sender's id (bound to its key by the trust store) and, with a network key,
// proves the key over this session's channel binding (auth.ts). PROTOCOL.md has the details.
import { authProof, proofMatches, stretchNetworkKey, type ConnectionRole } from './auth';
import { P2PError } from './errors';
import { PROTOCOL_VERSION, type AnyMessage, type Message } from './messages';
import { assertExpectedKey, metaserverPinId, type MetaserverPin } from './metaserver-pin';
import type { ChannelSecurity, SecureSession } from './secure-channel';

export interface HandshakeSettings {
  /** The shared network key; both sides must hold the same one (or both none). */
  key?: string;
  security: ChannelSecurity;
  /** Dialer only: the id the remote must announce. */
  expectId?: string;
  /** Dialer only: the remote is a metaserver, whose key is pinned under its address. */
  metaserver?: MetaserverPin;
}

export interface HandshakeOutcome {
  /** The hello to send now, if any. */
  send?: AnyMessage;
  /** Set once the remote is accepted: the id its key is bound to. */
  remoteId?: string;
}

export class ChannelHandshake {
  private readonly key: string | undefined;

  constructor(
    private readonly role: ConnectionRole,
    private readonly session: SecureSession,
    private readonly settings: HandshakeSettings,
  ) {
    this.key = settings.key || undefined;
  }

  /**
   * The dialer's opening hello, once the listener's certificate passed what can be checked
   * without its hello: a listener we would refuse anyway never sees our proof.
   */
  async open(): Promise<HandshakeOutcome> {
    this.refusePlaintextWithKey();
    const { security, expectId, metaserver } = this.settings;
    if (!security.plaintextBenchOnly) {
      const fingerprint = this.session.remoteFingerprint;
      security.trust.check(expectId ?? '', fingerprint);
      if (metaserver) {
        assertExpectedKey(metaserver, fingerprint);
        if (!metaserver.expected?.overridesPin) security.trust.check(metaserverPinId(metaserver.address), fingerprint);
      }
    }
    return { send: await this.hello() };
  }

  /** Checks the remote's hello; the listener then answers with its own. */
  async receive(remote: Message<'hello'>): Promise<HandshakeOutcome> {
    if (remote.proto !== PROTOCOL_VERSION) throw new P2PError('PROTOCOL', `remote speaks protocol ${remote.proto}`);
    if (remote.auth !== Boolean(this.key)) {
      throw new P2PError('AUTH_FAILED', this.key ? 'remote has no network key' : 'remote requires a network key');
    }
    if (this.key) {
      const remoteRole: ConnectionRole = this.role === 'dialer' ? 'listener' : 'dialer';
      const expected = authProof(await stretchNetworkKey(this.key), remoteRole, this.session.channelBinding);
      if (!proofMatches(expected, remote.proof)) throw new P2PError('AUTH_FAILED', 'wrong network key');
    }
    const { expectId, security } = this.settings;
    if (expectId !== undefined && remote.id !== expectId) {
      throw new P2PError('ID_MISMATCH', `dialed peer "${expectId}" but the remote is "${remote.id}"`, remote.id);
    }
    this.refusePlaintextWithKey();
    if (!security.plaintextBenchOnly) {
      security.trust.admit(remote.id, this.session.remoteFingerprint);
      // pinned only now: a first sighting counts once the remote has also passed the network key;
      // a tool (no id) pins nothing, as its trust store may be one shared by its whole process
      const { metaserver } = this.settings;
      if (metaserver && security.id !== '') {
        const pin = metaserverPinId(metaserver.address);
        if (metaserver.expected?.overridesPin) security.trust.replacePin(pin, this.session.remoteFingerprint);
        else security.trust.admit(pin, this.session.remoteFingerprint);
      }
    }
    return { send: this.role === 'listener' ? await this.hello() : undefined, remoteId: remote.id };
  }

  /** A key proof over no channel binding could be replayed: the bench-only mode has no key. */
  private refusePlaintextWithKey(): void {
    if (this.settings.security.plaintextBenchOnly && this.key)
      throw new P2PError('AUTH_FAILED', 'a network key needs the encrypted channel (unset P2P_PLAINTEXT_BENCH_ONLY)');
  }

  private async hello(): Promise<AnyMessage> {
    const proof = this.key
      ? authProof(await stretchNetworkKey(this.key), this.role, this.session.channelBinding)
      : undefined;
    return { t: 'hello', proto: PROTOCOL_VERSION, id: this.settings.security.id, auth: Boolean(this.key), proof };
  }
}
