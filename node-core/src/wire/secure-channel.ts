// Every link is TLS 1.3 (Node's OpenSSL), mutually authenticated by each node's self-signed
// certificate. Nobody's certificate is checked against a CA: each side reads the other's
// public key and pins its fingerprint (trust-store.ts), as SSH and Syncthing do. The
// handshake that follows inside the channel (connection.ts) binds ids and the network key.
import type { ConnectionOptions as TlsConnectOptions, TLSSocket, TlsOptions } from 'node:tls';
import { fingerprintOf, NodeIdentity } from './identity';
import { TrustStore } from './trust-store';

/** Who this node is on the wire and whom it lets in. */
export interface ChannelSecurity {
  identity: NodeIdentity;
  /** The id this node announces in its hello: a peer's --id, '' for a metaserver or a tool. */
  id: string;
  trust: TrustStore;
  /**
   * No TLS, no keys checked: only the benchmarks' baseline (P2P_PLAINTEXT_BENCH_ONLY=1), so the
   * cost of encryption can be measured in the same run. Both sides must use it.
   */
  plaintextBenchOnly?: boolean;
}

/** What TLS established about the other side. */
export interface SecureSession {
  remoteFingerprint: string;
  /** Keying material exported from this session only (RFC 8446 7.5): what network-key proofs sign. */
  channelBinding: Buffer;
}

/** The session of a plaintext (bench-only) link: nothing is known about the remote. */
export const PLAINTEXT_SESSION: SecureSession = { remoteFingerprint: '', channelBinding: Buffer.alloc(0) };

const EXPORTER_LABEL = 'EXPORTER-p2p-channel-binding';
// AES-128-GCM first: the fastest of the three with AES-NI; all three are TLS 1.3's own
const CIPHER_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

let processIdentity: NodeIdentity | undefined;

/** For callers that are no peer (tools, tests): one key pair per process, no id, any key admitted. */
export function anonymousSecurity(): ChannelSecurity {
  processIdentity ??= NodeIdentity.ephemeral();
  return { identity: processIdentity, id: '', trust: TrustStore.inMemory() };
}

/** A peer that keeps nothing on disk: a fresh key pair, pins in memory. */
export function ephemeralSecurity(id: string, allowList?: ReadonlySet<string>): ChannelSecurity {
  return { identity: NodeIdentity.ephemeral(), id, trust: TrustStore.inMemory(allowList) };
}

export function tlsServerOptions(identity: NodeIdentity, handshakeTimeoutMs: number): TlsOptions {
  return {
    key: identity.privateKeyPem,
    cert: identity.certificatePem,
    requestCert: true,
    rejectUnauthorized: false, // no CA: the key is checked against the pins instead
    minVersion: 'TLSv1.3',
    ciphers: CIPHER_SUITES,
    honorCipherOrder: true,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

export function tlsClientOptions(identity: NodeIdentity): TlsConnectOptions {
  return {
    secureContext: identity.secureContext,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.3',
    ciphers: CIPHER_SUITES,
  };
}

/** The other side's key fingerprint and this session's channel binding; throws if it sent no certificate. */
export function sessionOf(socket: TLSSocket): SecureSession {
  const certificate = socket.getPeerX509Certificate();
  if (!certificate) throw new Error('the remote sent no certificate');
  return {
    remoteFingerprint: fingerprintOf(certificate.publicKey),
    channelBinding: socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)),
  };
}

/** TLS failures are handshake failures; anything else before the channel is up is an unreachable peer. */
export function isTlsFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS/.test((err as Error)?.message ?? '');
}
