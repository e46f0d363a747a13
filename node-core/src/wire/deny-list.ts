// The peers a user blocked: by id and by key fingerprint, kept in the node's state folder so a
// block survives a restart. The trust store consults it before anything else, so a blocked
// peer is refused at the handshake whichever side dials.
import { readFile } from 'node:fs/promises';
import { P2PError } from './errors';
import { isPeerId } from './fields';
import { isFingerprint } from './identity';
import { StateFileWriter } from './state-file';

/** The deny-list inside a node's state folder. */
export const DENIED_PEERS_FILE = 'denied-peers.json';

/** Entries kept; the user adds them one by one, so this is only a bound on a damaged file. */
export const MAX_DENIED = 10_000;

export interface DeniedPeers {
  ids: string[];
  fingerprints: string[];
}

export class DenyList {
  private readonly ids = new Set<string>();
  private readonly fingerprints = new Set<string>();
  private readonly writer: StateFileWriter;

  private constructor(file: string | undefined, denied?: DeniedPeers) {
    this.writer = new StateFileWriter(file, () => this.entries());
    denied?.ids.forEach((id) => this.ids.size < MAX_DENIED && this.ids.add(id));
    denied?.fingerprints.forEach((fp) => this.fingerprints.size < MAX_DENIED && this.fingerprints.add(fp));
  }

  static inMemory(): DenyList {
    return new DenyList(undefined);
  }

  static async open(file: string): Promise<DenyList> {
    return new DenyList(file, await readDenied(file));
  }

  /** True if the id (when not '') or the fingerprint is blocked. */
  denies(id: string, fingerprint: string): boolean {
    return (id !== '' && this.ids.has(id)) || this.fingerprints.has(fingerprint);
  }

  /** Blocks an id and any fingerprints; returns false if there was nothing new to add. */
  add(id: string | undefined, fingerprints: readonly string[]): boolean {
    const before = this.ids.size + this.fingerprints.size;
    if (id !== undefined && id !== '') {
      if (!isPeerId(id))
        throw new P2PError('BAD_COMMAND', `"${String(id).slice(0, 80)}" is not a peer id or a fingerprint`);
      if (this.ids.size >= MAX_DENIED) throw new P2PError('BAD_COMMAND', `the deny-list is full (${MAX_DENIED})`);
      this.ids.add(id);
    }
    for (const fingerprint of fingerprints) {
      if (this.fingerprints.size >= MAX_DENIED)
        throw new P2PError('BAD_COMMAND', `the deny-list is full (${MAX_DENIED})`);
      this.fingerprints.add(fingerprint);
    }
    const added = this.ids.size + this.fingerprints.size > before;
    if (added) this.writer.save();
    return added;
  }

  entries(): DeniedPeers {
    return { ids: [...this.ids], fingerprints: [...this.fingerprints] };
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}

async function readDenied(file: string): Promise<DeniedPeers | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new P2PError('INTERNAL', `cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // refusing to start beats silently letting blocked peers back in
    throw new P2PError('INTERNAL', `${file} is not JSON: fix or remove it (it lists the peers you blocked)`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return {
    ids: strings(record.ids).filter(isPeerId),
    fingerprints: strings(record.fingerprints).filter(isFingerprint),
  };
}
