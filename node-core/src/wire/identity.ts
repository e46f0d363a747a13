// A node's long-term identity: an Ed25519 key pair, made on first start and kept in the node's
// state folder readable by the owner only. Its fingerprint (SHA-256 of the public key) is what
// other nodes pin; the id a node announces is bound to it (trust-store.ts).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { P2PError } from './errors';
import { selfSignedCertificate } from './self-signed-cert';

/** The key file inside a node's state folder. */
export const IDENTITY_FILE = 'identity.key';

/** SHA-256 of the public key's SubjectPublicKeyInfo (DER), 64 lowercase hex digits. */
export function fingerprintOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function isFingerprint(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

export class NodeIdentity {
  readonly fingerprint: string;
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  private context: SecureContext | undefined;

  private constructor(privateKey: KeyObject) {
    const publicKey = createPublicKey(privateKey);
    this.fingerprint = fingerprintOf(publicKey);
    this.privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.certificatePem = selfSignedCertificate(publicKey, privateKey);
  }

  /** A key pair that lives as long as the process (tools such as `topo`, tests). */
  static ephemeral(): NodeIdentity {
    return new NodeIdentity(generateKeyPairSync('ed25519').privateKey);
  }

  /** Loads the key in `folder`, or makes one there on first start (folder 0700, key 0600). */
  static async loadOrCreate(folder: string): Promise<NodeIdentity> {
    const file = join(folder, IDENTITY_FILE);
    const existing = await readKeyFile(file);
    if (existing !== undefined) return new NodeIdentity(parseKey(existing, file));
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const privateKey = generateKeyPairSync('ed25519').privateKey;
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // written aside then linked: a crash never leaves a half key under the real name, and a
    // second process starting at the same moment keeps the first one's key
    const aside = `${file}.${process.pid}.tmp`;
    await writeFile(aside, pem, { mode: 0o600, flag: 'wx' });
    try {
      await link(aside, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(aside).catch(() => undefined);
    }
    return NodeIdentity.loadOrCreate(folder);
  }

  /** One TLS context per identity: making one per connection would cost more than the handshake. */
  get secureContext(): SecureContext {
    this.context ??= createSecureContext({ key: this.privateKeyPem, cert: this.certificatePem });
    return this.context;
  }
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      await chmod(file, 0o600); // a copied folder may have widened it; the key is only ever ours
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new P2PError('INTERNAL', `cannot read the node's key ${file}: ${(err as Error).message}`);
  }
}

function parseKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new P2PError('INTERNAL', `the node's key ${file} is not a private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new P2PError('INTERNAL', `the node's key ${file} is ${key.asymmetricKeyType}, not ed25519`);
  return key;
}
