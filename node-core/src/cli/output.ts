// Where the CLI's events go: with --json one JSON object per stdout line and nothing else;
// otherwise a readable line per event, errors on stderr.
import type { NodeEvent } from '../events';
import type { TopologyPeer } from '../topology';

export interface HelpEvent {
  event: 'help';
  commands: string[];
}

export type CliEvent = NodeEvent | HelpEvent;

export class EventOutput {
  constructor(private readonly json: boolean) {}

  emit(event: CliEvent): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    const line = humanLine(event);
    if (event.event === 'error') process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }

  /** Free text for humans; silent in --json mode so stdout stays pure JSON. */
  note(text: string): void {
    if (!this.json) process.stdout.write(`${text}\n`);
  }
}

const ref = (p: { id: string; host: string; port: number }): string => `${p.id} (${p.host}:${p.port})`;

function humanLine(event: CliEvent): string {
  switch (event.event) {
    case 'ready':
      if (event.role === 'metaserver') {
        return (
          `metaserver listening on ${event.host}:${event.port}${event.url ? `; topology page: ${event.url}` : ''}` +
          (event.announced
            ? `; announced on the LAN as "${event.announced.name}" (${event.announced.addresses.join(', ')})`
            : '')
        );
      }
      return (
        `peer ${event.id} (${event.mode}) listening on ${event.host}:${event.port}` +
        `${event.nodeId ? `, node id ${event.nodeId}` : ''}${event.dir ? `, sharing ${event.dir}` : ''}` +
        (event.discovered
          ? `; joined "${event.discovered.name}" found on the LAN at ${event.discovered.host}:${event.discovered.port}`
          : '') +
        `${event.relayed ? '; behind NAT, reached through the relay' : ''}`
      );
    case 'neighbor-up':
      return `neighbour up: ${ref(event)}`;
    case 'neighbor-down':
      return `neighbour down: ${ref(event)}`;
    case 'topology': {
      const lines = [`neighbours: ${event.neighbors.length === 0 ? '(none)' : event.neighbors.map(ref).join(', ')}`];
      if (event.predecessor !== undefined)
        lines.push(`predecessor: ${event.predecessor ? ref(event.predecessor) : '(none)'}`);
      if (event.successors) lines.push(`successors: ${event.successors.map(ref).join(', ') || '(none)'}`);
      if (event.fingers)
        lines.push(`fingers: ${event.fingers.map((f) => `${f.start.slice(0, 8)}→${f.node.id}`).join(' ')}`);
      return lines.join('\n');
    }
    case 'files':
      return event.files.length === 0
        ? 'no shared files'
        : event.files.map((f) => `${f.name}  ${f.size} bytes  root ${f.root.slice(0, 16)}…`).join('\n');
    case 'shared':
      return `sharing ${event.name} (${event.size} bytes) from ${event.path}`;
    case 'folder-shared':
      return `sharing the folder ${event.path} (${event.files.length} files now, watched)`;
    case 'file-added':
      return `now sharing ${event.name} (${event.size} bytes) from ${event.path}`;
    case 'file-removed':
      return `no longer sharing ${event.name}`;
    case 'search-hit':
      return `hit: ${event.name} (${event.size} bytes, root ${event.root.slice(0, 16)}…) at ${ref(event.holder)}`;
    case 'search-result':
      return (
        `found ${event.name} (${event.size} bytes, root ${event.root.slice(0, 16)}…) ` +
        `at ${event.holders.map(ref).join(', ')}`
      );
    case 'not-found':
      return `${event.name}: not found`;
    case 'download-progress': {
      const percent = event.total === 0 ? 100 : Math.floor((100 * event.bytes) / event.total);
      return `${event.name}: ${event.bytes}/${event.total} bytes (${percent}%)`;
    }
    case 'download-paused':
      return `${event.name}: paused at ${event.bytes}/${event.total} bytes; GET ${event.name} resumes it`;
    case 'download-complete':
      return (
        `downloaded ${event.name} (${event.bytes} bytes, verified against root ${event.root.slice(0, 16)}…) ` +
        `to ${event.path} from ${event.sources.join(', ')}`
      );
    case 'lookup':
      return `${event.key} is owned by ${ref(event.owner)} (${event.hops} hops)`;
    case 'key-changed':
      return (
        `warning: ${event.metaserver ? `the metaserver at ${event.metaserver}` : `peer ${event.id}`} ` +
        `presented key ${event.newFingerprint}, but it is known with key ` +
        `${event.oldFingerprint}: refused (TRUST ${event.id} ${event.newFingerprint} if it really changed its key)`
      );
    case 'blocked':
      return `blocked ${[event.id, ...event.fingerprints].filter(Boolean).join(', ')}`;
    case 'trusted':
      return `peer ${event.id} is now trusted with key ${event.fingerprint}`;
    case 'error':
      return `error ${event.code}: ${event.message}`;
    case 'reachability':
      return event.reachable ? 'reachable at its address' : 'behind NAT: reached through the relay';
    case 'punch':
      return event.ok
        ? `hole punched to ${event.peer} in ${event.ms} ms: direct link`
        : `no hole punched to ${event.peer} (${event.message ?? 'failed'}): relayed`;
    case 'relay-circuit':
      return (
        `relayed circuit ${event.dialer} -> ${event.target} ended (${event.ended}) after ${event.bytes} bytes; ` +
        `${event.circuitsOpen} open, ${event.bytesCarried} bytes relayed in all`
      );
    case 'stopped':
      return 'stopped';
    case 'help':
      return event.commands.join('\n');
  }
}

export function humanTopology(peers: TopologyPeer[]): string {
  if (peers.length === 0) return 'no peers registered';
  return peers
    .map(
      (p) =>
        `${p.id} (${p.host}:${p.port}, ${p.mode}${p.relayed ? ', relayed' : ''}): ` +
        `${p.neighbors.join(' ') || '(no links)'}`,
    )
    .join('\n');
}
