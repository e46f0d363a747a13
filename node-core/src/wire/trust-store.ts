// Which keys a node accepts: trust on first use (the first key seen for a peer id is pinned,
// and a later connection claiming that id with another key is refused), and, with `--trust
// FILE`, an allow-list outside which no fingerprint gets in at all.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { P2PError } from './errors';
import { isFingerprint } from './identity';

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
}

export class TrustStore {
  private readonly pins: Map<string, string>;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly options: TrustStoreOptions,
    pins: Map<string, string>,
  ) {
    this.pins = pins;
  }

  static inMemory(allowList?: ReadonlySet<string>): TrustStore {
    return new TrustStore({ allowList }, new Map());
  }

  static async open(options: TrustStoreOptions): Promise<TrustStore> {
    return new TrustStore(options, options.file ? await readPins(options.file) : new Map());
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
    this.save();
  }

  /** The checks of admit() without pinning: for a listener not yet heard from (its id is unproven). */
  check(id: string, fingerprint: string): void {
    const { allowList } = this.options;
    if (allowList && !allowList.has(fingerprint)) {
      throw new P2PError('NOT_TRUSTED', `${describe(id)} has key ${fingerprint}, which is not in the trust file`, id);
    }
    if (id === '') return;
    const known = this.pins.get(id);
    if (known === fingerprint) return;
    if (known !== undefined) {
      throw new P2PError(
        'KEY_CHANGED',
        `peer "${id}" presented key ${fingerprint}, but it is known with key ${known}: refused ` +
          '(if it really changed its key, remove its entry from known-peers.json)',
        id,
      );
    }
  }

  /** Resolves once every pin made so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): void {
    const file = this.options.file;
    if (!file) return;
    if (this.dirty) return; // the queued write will include this pin
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const aside = `${file}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(aside, JSON.stringify(Object.fromEntries(this.pins), null, 1), { mode: 0o600 });
        await rename(aside, file);
      } catch {
        // pins stay in memory; the next new pin tries again
      }
    });
  }
}

function describe(id: string): string {
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
