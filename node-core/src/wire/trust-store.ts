// Which keys a node accepts: trust on first use (the first key seen for a peer id is pinned,
// and a later connection claiming that id with another key is refused), and, with `--trust
// FILE`, an allow-list outside which no fingerprint gets in at all. A deny-list (deny-list.ts)
// comes first: a peer the user blocked gets in under no id and no key.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DenyList } from './deny-list';
import { P2PError } from './errors';
import { isFingerprint } from './identity';
import { metaserverOfPin } from './metaserver-pin';
import { StateFileWriter } from './state-file';

/** The pinned file inside a node's state folder. */
export const KNOWN_PEERS_FILE = 'known-peers.json';

/**
 * Pins kept per node. Past this, new ids are admitted but not pinned: evicting old pins instead
 * would let anyone who connects with enough made-up ids unpin a real peer and then take its id.
 */
export const MAX_PINNED_IDS = 10_000;

/** Reads an allow-list: one fingerprint (64 hex digits) per line, then anything (a label); `#` starts a comment. */
export function readAllowList(file: string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new P2PError('BAD_COMMAND', `cannot read the trust file ${file}: ${(err as Error).message}`);
  }
  const allowed = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    const first = line.replace(/#.*/, '').trim().split(/\s+/)[0];
    if (!first) return;
    const fingerprint = first.toLowerCase();
    if (!isFingerprint(fingerprint))
      throw new P2PError(
        'BAD_COMMAND',
        `${file}:${index + 1}: "${first.slice(0, 80)}" is not a 64-hex-digit fingerprint`,
      );
    allowed.add(fingerprint);
  });
  return allowed;
}

export interface TrustStoreOptions {
  /** Where pins are kept (JSON, mode 0600); none: in memory for the life of the process. */
  file?: string;
  /** Only these fingerprints are admitted (`--trust`). */
  allowList?: ReadonlySet<string>;
  /** Peers refused whatever else they present (default: an empty list in memory). */
  denyList?: DenyList;
}

/** A handshake refused because a pinned id came with another key. */
export interface KeyChange {
  id: string;
  oldFingerprint: string;
  newFingerprint: string;
  /** Set when `id` is a metaserver's pin (metaserver-pin.ts): its `HOST:PORT`. */
  metaserver?: string;
}

/** What one block added: links matching it close at once (connection.ts). */
export interface BlockedPeer {
  id?: string;
  fingerprints: string[];
}

export interface TrustStoreEvents {
  'key-changed': [KeyChange];
  blocked: [BlockedPeer];
}

export class TrustStore extends EventEmitter<TrustStoreEvents> {
  private readonly pins: Map<string, string>;
  private readonly writer: StateFileWriter;
  readonly denyList: DenyList;

  private constructor(
    private readonly options: TrustStoreOptions,
    pins: Map<string, string>,
  ) {
    super();
    this.setMaxListeners(0); // one 'blocked' listener per live connection
    this.pins = pins;
    this.denyList = options.denyList ?? DenyList.inMemory();
    this.writer = new StateFileWriter(options.file, () => Object.fromEntries(this.pins));
  }

  static inMemory(allowList?: ReadonlySet<string>): TrustStore {
    return new TrustStore({ allowList }, new Map());
  }

  static async open(options: TrustStoreOptions): Promise<TrustStore> {
    return new TrustStore(options, options.file ? await readPins(options.file) : new Map());
  }

  /**
   * Blocks a peer by fingerprint, or by id together with the key pinned for it (so it cannot
   * come back under a new id with the same key). Links already open to it close at once.
   */
  block(target: string): BlockedPeer {
    const fingerprint = target.toLowerCase();
    const blocked: BlockedPeer = isFingerprint(fingerprint)
      ? { fingerprints: [fingerprint] }
      : { id: target, fingerprints: this.pins.has(target) ? [this.pins.get(target) as string] : [] };
    this.denyList.add(blocked.id, blocked.fingerprints);
    this.emit('blocked', blocked);
    return blocked;
  }

  /** The user trusts `fingerprint` as `id`'s new key: the old pin is replaced. */
  replacePin(id: string, fingerprint: string): void {
    if (id === '') throw new P2PError('BAD_COMMAND', 'an empty id has no pin');
    if (!isFingerprint(fingerprint))
      throw new P2PError('BAD_COMMAND', `"${fingerprint.slice(0, 80)}" is not a fingerprint`);
    this.pins.set(id, fingerprint);
    this.writer.save();
  }

  /** The fingerprint pinned for `id`, if any. */
  pinned(id: string): string | undefined {
    return this.pins.get(id);
  }

  /**
   * Admits `fingerprint` for `id` (an empty id is a tool or a metaserver: only the allow-list
   * applies) or throws NOT_TRUSTED / KEY_CHANGED. A first sighting pins the id.
   */
  admit(id: string, fingerprint: string): void {
    this.check(id, fingerprint);
    if (id === '' || this.pins.has(id) || this.pins.size >= MAX_PINNED_IDS) return;
    this.pins.set(id, fingerprint);
    this.writer.save();
  }

  /** The checks of admit() without pinning: for a listener not yet heard from (its id is unproven). */
  check(id: string, fingerprint: string): void {
    if (this.denyList.denies(id, fingerprint))
      throw new P2PError('BLOCKED', `${describe(id)} with key ${fingerprint} is blocked`, id || undefined);
    const { allowList } = this.options;
    if (allowList && !allowList.has(fingerprint)) {
      throw new P2PError('NOT_TRUSTED', `${describe(id)} has key ${fingerprint}, which is not in the trust file`, id);
    }
    if (id === '') return;
    const known = this.pins.get(id);
    if (known === fingerprint) return;
    if (known !== undefined) {
      const metaserver = metaserverOfPin(id);
      this.emit('key-changed', {
        id,
        oldFingerprint: known,
        newFingerprint: fingerprint,
        ...(metaserver && { metaserver }),
      });
      throw new P2PError(
        'KEY_CHANGED',
        `${describe(id)} presented key ${fingerprint}, but it is known with key ${known}: refused ` +
          `(if it really changed its key: TRUST ${id} ${fingerprint}, or remove its entry from known-peers.json)`,
        metaserver ? undefined : id,
      );
    }
  }

  /** Resolves once every pin and block made so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all([this.writer.flush(), this.denyList.flush()]);
  }
}

function describe(id: string): string {
  const metaserver = metaserverOfPin(id);
  if (metaserver !== undefined) return `the metaserver at ${metaserver}`;
  return id === '' ? 'the remote' : `peer "${id}"`;
}

async function readPins(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new P2PError('INTERNAL', `cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new P2PError('INTERNAL', `${file} is not JSON: fix or remove it (it lists the peers' known keys)`);
  }
  const pins = new Map<string, string>();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new P2PError('INTERNAL', `${file} is not an object of id → fingerprint`);
  for (const [id, fingerprint] of Object.entries(parsed)) {
    if (typeof fingerprint === 'string' && isFingerprint(fingerprint)) pins.set(id, fingerprint);
  }
  return pins;
}
