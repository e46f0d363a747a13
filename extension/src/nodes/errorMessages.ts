// Turns what a node reports (an `error` event, a line on stderr, an early exit) into a
// sentence a user can act on: what went wrong, and what to do next. Never a stack trace.

import { isErrorCode, type ErrorCode } from '@node-core/error-codes';
import type { ErrorEvent } from '@node-core/events';

/** Both keys of a pin refused at a start (the CLI's start-failure `error` event). */
export type KeyChange = NonNullable<ErrorEvent['keyChange']>;

/** What the notification can offer besides the text. */
export type NextAction = 'showLog' | 'setNetworkKey' | 'startMetaserver' | 'none';

export interface UserFacingError {
  code: ErrorCode | 'READY_TIMEOUT' | 'EXITED' | 'SPAWN_FAILED' | 'BAD_ARGUMENT';
  message: string;
  action: NextAction;
}

/** Who the error is about, to name it in the message. */
export interface ErrorSubject {
  /** "peer s1", "the metadata server". */
  node: string;
  /** The port the node was asked to use, for PORT_IN_USE. */
  port?: number;
  /** The metaserver address a peer was given. */
  metaserver?: string;
  /** The file an error is about. */
  name?: string;
}

const FALLBACK: Record<string, string> = {
  BAD_COMMAND: 'The node did not understand a command.',
  PROTOCOL: 'A connection sent something malformed and was closed.',
  INTERNAL: 'The node hit an internal error.',
};

export function describeNodeError(code: string, nodeMessage: string, subject: ErrorSubject): UserFacingError {
  const detail = firstLine(nodeMessage);
  const file = subject.name ?? 'the file';
  switch (code) {
    case 'PORT_IN_USE':
      return {
        code,
        message:
          `${capitalize(subject.node)} could not start: ${subject.port ? `port ${subject.port}` : 'its port'} ` +
          'is already in use. Pick another port (0 lets the system choose) or stop whatever uses it.',
        action: 'none',
      };
    case 'DUPLICATE_ID':
      return {
        code,
        message:
          `${capitalize(subject.node)} was refused: another peer in the network already uses that id. ` +
          'Join again with a different id.',
        action: 'none',
      };
    case 'EMPTY_ID':
      return { code, message: 'A peer needs a non-empty id. Join again and enter an id.', action: 'none' };
    case 'METASERVER_UNREACHABLE':
      return {
        code,
        message:
          `${capitalize(subject.node)} cannot reach the metadata server` +
          `${subject.metaserver ? ` at ${subject.metaserver}` : ''}. ` +
          'Start it (P2P: Start Metadata Server) or check the address.',
        action: 'startMetaserver',
      };
    case 'PEER_UNREACHABLE':
      return {
        code,
        message:
          `${capitalize(subject.node)} could not reach the peer it was sent to. ` +
          'Check the address, or join through the metadata server.',
        action: 'none',
      };
    case 'NETWORK_FULL':
      return {
        code,
        message:
          `${capitalize(subject.node)} was refused: the network is full. ` +
          "Raise the metadata server's peer limit or stop a peer.",
        action: 'none',
      };
    case 'BAD_FLAG':
      return {
        code,
        message:
          `${capitalize(subject.node)} was refused by the metadata server (wrong protocol flag). ` +
          'Check that both run the same version.',
        action: 'showLog',
      };
    case 'ADDRESS_UNVERIFIED':
      return {
        code,
        message:
          `${capitalize(subject.node)} was refused: the metadata server could not reach it at the address ` +
          'it announced. Check its host and advertise settings (a firewall or NAT may be in the way).',
        action: 'showLog',
      };
    case 'AUTH_FAILED':
      return {
        code,
        message:
          `${capitalize(subject.node)} could not authenticate: the network key does not match. ` +
          'Set the same key as the network (P2P: Set Network Key) and start it again.',
        action: 'setNetworkKey',
      };
    case 'BAD_NAME':
      return {
        code,
        message: `"${file}" is not a valid shared file name (no folders, "..", or special characters).`,
        action: 'none',
      };
    case 'NOT_SHARED':
      return { code, message: `${capitalize(subject.node)} does not share "${file}".`, action: 'none' };
    case 'NOT_FOUND':
      return {
        code,
        message: `"${file}" was not found in the network. Check the name, or share it from a peer first.`,
        action: 'none',
      };
    case 'FILE_EXISTS':
      return {
        code,
        message:
          `"${file}" already exists in the download folder and was not overwritten. ` +
          'Delete or rename it, then download again.',
        action: 'none',
      };
    case 'VERIFY_FAILED':
      return {
        code,
        message:
          `"${file}" failed its checksum and was discarded. ` +
          'Try again; if it keeps failing, a holder serves a corrupt copy.',
        action: 'showLog',
      };
    case 'DOWNLOAD_FAILED':
      return {
        code,
        message: `Downloading "${file}" failed: ${detail || 'no holder could serve it'}. Try again later.`,
        action: 'showLog',
      };
    case 'NO_SPACE':
      return {
        code,
        message: `Not enough free disk space for "${file}"${detail ? ` (${detail})` : ''}. Free some, then try again.`,
        action: 'none',
      };
    case 'DISCOVERY_FAILED':
      return {
        code,
        message:
          `${capitalize(subject.node)} found no single network on the LAN: ${detail || 'none answered'}. ` +
          'Join again with the address of its metadata server.',
        action: 'none',
      };
    case 'CANCELLED':
      return { code, message: `Download of "${file}" was cancelled.`, action: 'none' };
    case 'KEY_CHANGED':
      if (detail.startsWith('the metaserver at '))
        return {
          code,
          message:
            `${capitalize(subject.node)} refused its metadata server: ${detail}. If it really got a new key: ` +
            'Trust New Key in the warning, or remove its "metaserver/…" entry from ' +
            ".p2p/known-peers.json in the peer's folder.",
          action: 'showLog',
        };
      return {
        code,
        message:
          `${capitalize(subject.node)} refused a peer whose key changed: ` +
          `${detail || 'a known id came with another key'}. Someone may be impersonating it; ` +
          'if it really got a new key, choose Trust New Key in the warning (or remove it from known-peers.json).',
        action: 'showLog',
      };
    case 'BLOCKED':
      return {
        code,
        message:
          `${capitalize(subject.node)}: a link refused by a block (${detail || 'a blocked id or key'}). ` +
          "A peer's blocks are kept in .p2p/denied-peers.json in its folder.",
        action: 'showLog',
      };
    case 'NOT_TRUSTED':
      return {
        code,
        message:
          `${capitalize(subject.node)} refused a key that is not in its trust file: ` +
          `${detail || 'unknown fingerprint'}. Add the fingerprint to the trust file if you trust it.`,
        action: 'showLog',
      };
    case 'ID_MISMATCH':
      return {
        code,
        message:
          `${capitalize(subject.node)} reached a peer that is not the one it dialed: ` +
          `${detail || 'another id answered'}. See the log.`,
        action: 'showLog',
      };
    case 'HANDSHAKE_FAILED':
      return {
        code,
        message:
          `${capitalize(subject.node)} could not set up an encrypted link: ` +
          `${detail || 'TLS failed'}. Check that both sides run the same version.`,
        action: 'showLog',
      };
    case 'PAUSED':
      return { code, message: `Download of "${file}" was paused; it resumes from its .part.`, action: 'none' };
    default:
      return {
        code: isErrorCode(code) ? code : 'INTERNAL',
        message:
          `${capitalize(subject.node)}: ${detail || FALLBACK[code] || 'unexpected error'}. ` +
          'See the log for details.',
        action: 'showLog',
      };
  }
}

/** A node that exits before it is ready: explain with the last thing it said on stderr. */
export function describeEarlyExit(
  subject: ErrorSubject,
  exitCode: number | null,
  signal: string | null,
  stderrTail: string[],
): UserFacingError {
  const said = stderrTail
    .map(firstLine)
    .filter((line) => line && !isStackLine(line))
    .pop();
  const how = signal ? `was killed (${signal})` : `exited with code ${exitCode ?? '?'}`;
  if (exitCode === 2) {
    return {
      code: 'EXITED',
      message: `${capitalize(subject.node)} refused its command line${said ? `: ${said}` : ''}. See the log.`,
      action: 'showLog',
    };
  }
  return {
    code: 'EXITED',
    message: `${capitalize(subject.node)} ${how}${said ? `: ${said}` : ''}.`,
    action: 'showLog',
  };
}

export function describeReadyTimeout(subject: ErrorSubject, timeoutMs: number): UserFacingError {
  return {
    code: 'READY_TIMEOUT',
    message:
      `${capitalize(subject.node)} did not become ready within ${Math.round(timeoutMs / 1000)} s ` +
      'and was stopped. See the log.',
    action: 'showLog',
  };
}

/** Stderr lines that look like `    at foo (file.js:1:2)` belong in the log, not in a notification. */
export function isStackLine(line: string): boolean {
  return /^\s*at\s/.test(line) || /^\s*\^+\s*$/.test(line) || /node:internal/.test(line);
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An Error whose message is already fit for a notification. */
export class NodeError extends Error {
  /** `nodeKey`: whose log "Show Log" opens; `keyChange`: a start refused for the metaserver's changed key. */
  constructor(
    readonly detail: UserFacingError,
    readonly nodeKey?: string,
    readonly keyChange?: KeyChange,
  ) {
    super(detail.message);
    this.name = 'NodeError';
  }
}
