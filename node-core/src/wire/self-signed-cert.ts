// A self-signed X.509 certificate around a node's Ed25519 public key, so TLS can carry it. The
// certificate is only a container: peers never check names, dates or chains, they pin the key
// (secure-channel.ts). Node can parse certificates but not make them, hence this small DER
// writer; the signature is Node's Ed25519 and the result is checked by Node's X509Certificate.
import { createHash, sign, X509Certificate, type KeyObject } from 'node:crypto';

const ED25519_ALGORITHM = [0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]; // SEQUENCE { OID 1.3.101.112 }
const COMMON_NAME_OID = [0x06, 0x03, 0x55, 0x04, 0x03]; // 2.5.4.3

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...parts: Buffer[]): Buffer => der(0x30, ...parts);

/** PEM of a v3 certificate for `publicKey`, signed by `privateKey`; the same key always gives the same certificate. */
export function selfSignedCertificate(publicKey: KeyObject, privateKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = createHash('sha256').update(spki).digest().subarray(0, 8);
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, no leading zero byte
  const algorithm = Buffer.from(ED25519_ALGORITHM);
  const name = sequence(der(0x31, sequence(Buffer.from(COMMON_NAME_OID), der(0x0c, Buffer.from('p2p-node')))));
  // "no well-defined expiration" per RFC 5280 4.1.2.5; the key, not the dates, is what peers trust
  const validity = sequence(der(0x17, Buffer.from('000101000000Z')), der(0x18, Buffer.from('99991231235959Z')));
  const version = der(0xa0, der(0x02, Buffer.from([2])));
  const tbs = sequence(version, der(0x02, serial), algorithm, name, validity, name, spki);
  const signature = sign(null, tbs, privateKey);
  const certificate = new X509Certificate(sequence(tbs, algorithm, der(0x03, Buffer.from([0]), signature)));
  if (!certificate.verify(publicKey)) throw new Error('self-signed certificate does not verify');
  return certificate.toString();
}
