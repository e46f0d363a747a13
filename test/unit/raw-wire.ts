// A hostile or hand-made peer, written against the wire protocol rather than our classes: a TLS
// socket with a key pair of its own, and the hello of PROTOCOL.md sent by hand with the frame
// encoder. Tests abuse what it returns.
import * as tls from 'node:tls';
import type { Address } from '@node-core/events';
import { encodeFrame, FrameDecoder, NodeIdentity, PROTOCOL_VERSION } from '@node-core/wire';
import { authProof, stretchNetworkKey, type ConnectionRole } from '@node-core/wire/auth';

/** The exporter label of the channel binding (PROTOCOL.md). */
export const EXPORTER_LABEL = 'EXPORTER-p2p-channel-binding';

/**
 * A TLS 1.3 listener presenting `identity`'s certificate and asking every dialer for one, as a
 * node's does; `onSocket` gets each socket once TLS is up, nothing said yet.
 */
export function rawTlsServer(identity: NodeIdentity, onSocket: (socket: tls.TLSSocket) => void): tls.Server {
  const server = tls.createServer(
    {
      key: identity.privateKeyPem,
      cert: identity.certificatePem,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    },
    onSocket,
  );
  server.on('tlsClientError', () => undefined); // a dialer that gives up mid-handshake is its business
  return server;
}

/** A TLS 1.3 connection to `address` presenting `identity`'s certificate, nothing said yet. */
export function rawTls(address: Address, identity: NodeIdentity = NodeIdentity.ephemeral()): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      {
        host: address.host,
        port: address.port,
        key: identity.privateKeyPem,
        cert: identity.certificatePem,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
      },
      () => {
        socket.off('error', reject);
        socket.on('error', () => undefined); // a reset by the server is an expected outcome
        resolve(socket);
      },
    );
    socket.once('error', reject);
  });
}

export interface RawHello {
  id?: string;
  /** The network key to prove, or a proof to send as is (a replayed one). */
  key?: string;
  proof?: string;
  identity?: NodeIdentity;
}

/** The hello of `role` (the dialer's by default) for this socket's session, as PROTOCOL.md defines it. */
export async function helloFrame(
  socket: tls.TLSSocket,
  hello: RawHello,
  role: ConnectionRole = 'dialer',
): Promise<Buffer> {
  const binding = socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0));
  const proof = hello.proof ?? (hello.key ? authProof(await stretchNetworkKey(hello.key), role, binding) : undefined);
  return encodeFrame({
    v: PROTOCOL_VERSION,
    t: 'hello',
    proto: PROTOCOL_VERSION,
    id: hello.id ?? '',
    auth: hello.key !== undefined || hello.proof !== undefined,
    proof,
  });
}

/** A raw TLS socket that completed the handshake by hand (the server's hello arrived), then is ours to abuse. */
export async function handshaken(address: Address, hello: RawHello = {}): Promise<tls.TLSSocket> {
  const socket = await rawTls(address, hello.identity);
  socket.write(await helloFrame(socket, hello));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no hello from the server')), 3000);
    socket.once('data', () => {
      clearTimeout(t);
      resolve();
    });
  });
  return socket;
}

/** A request header as a hand-made listener reads it. */
export type RawRequest = Record<string, unknown> & { t: string; rid: number };

/**
 * A hand-made listener's side of a socket: answers the hello as `id`, then each request with the
 * frame `answer` makes (its `re` set by `answer`); a frame it cannot read ends the socket.
 */
export function answerRequests(socket: tls.TLSSocket, id: string, answer: (request: RawRequest) => Buffer): void {
  socket.on('error', () => undefined);
  const decoder = new FrameDecoder();
  socket.on('data', (bytes: Buffer) => {
    try {
      for (const frame of decoder.push(bytes)) {
        const h = frame.header as Record<string, unknown> & { t: string; rid?: number };
        if (h.t === 'hello') void helloFrame(socket, { id }, 'listener').then((f) => socket.write(f));
        else if (h.rid !== undefined) socket.write(answer(h as RawRequest));
      }
    } catch {
      socket.destroy();
    }
  });
}
