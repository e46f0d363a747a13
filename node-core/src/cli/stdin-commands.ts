// The peer's stdin language (README.md, "Command-line"): one command per line, any case; a bare
// file name means GET. Parsing only; peer-command.ts runs them.
export type CommandName =
  'TOPO' | 'FILES' | 'SHARE' | 'SEARCH' | 'GET' | 'PAUSE' | 'CANCEL' | 'LOOKUP' | 'BLOCK' | 'TRUST' | 'STOP' | 'HELP';

export interface StdinCommand {
  name: CommandName;
  /** The rest of the line (a path may contain spaces). */
  arg: string;
}

const COMMANDS = new Set<CommandName>([
  'TOPO',
  'FILES',
  'SHARE',
  'SEARCH',
  'GET',
  'PAUSE',
  'CANCEL',
  'LOOKUP',
  'BLOCK',
  'TRUST',
  'STOP',
  'HELP',
]);
const NEEDS_ARGUMENT = new Set<CommandName>(['SHARE', 'SEARCH', 'GET', 'PAUSE', 'CANCEL', 'LOOKUP', 'BLOCK', 'TRUST']);

export const HELP_LINES = [
  "TOPO              this peer's neighbours (chord: predecessor, successors, fingers)",
  'FILES             the files this peer shares',
  'SHARE <path>      share a file, or every file under a folder (watched)',
  'SEARCH <name>     find who holds a file',
  'GET <name> [root] download a file into Downloads/ (a bare name works too); root: the version to fetch',
  "GET <link>        download a share link's version of a file",
  'PAUSE <name>      stop a download in progress, keeping its .part file (GET resumes it)',
  'CANCEL <name>     stop a download in progress and remove its .part file',
  'LOOKUP <name|key> chord: which node owns a key',
  'BLOCK <id|fp>     refuse a peer (by id and its pinned key, or by key fingerprint) from now on; its links close',
  'TRUST <id> <fp>   pin a new key for a peer id (after a key-changed event)',
  'STOP              leave the network and exit',
  'HELP              this list',
];

/** Returns the command, undefined for a blank line, or an error message. */
export function parseCommand(line: string): StdinCommand | { error: string } | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  const space = trimmed.search(/\s/);
  const word = space < 0 ? trimmed : trimmed.slice(0, space);
  const arg = space < 0 ? '' : trimmed.slice(space + 1).trim();
  const upper = word.toUpperCase() as CommandName;
  if (COMMANDS.has(upper)) {
    if (NEEDS_ARGUMENT.has(upper) && arg === '') return { error: `${upper} needs an argument` };
    return { name: upper, arg };
  }
  if (space < 0) return { name: 'GET', arg: trimmed };
  return { error: `unknown command "${word}" (HELP lists them)` };
}

/** `GET <name> <root>`: a last word of 64 hex digits (a version's Merkle root) picks that version. */
export function splitVersionPick(arg: string): { name: string; version?: string } {
  const pick = /^(.*\S)\s+([0-9a-fA-F]{64})$/.exec(arg);
  return pick ? { name: pick[1], version: pick[2].toLowerCase() } : { name: arg };
}
