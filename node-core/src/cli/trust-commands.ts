// The stdin commands and events about whom a peer trusts: BLOCK and TRUST change its
// deny-list and pins; a handshake refused for a changed key is reported once per new key.
import type { NodeEvent } from '../events';
import { P2PError, type ChannelSecurity, type KeyChange } from '../wire';
import type { StdinCommand } from './stdin-commands';

/** Distinct (id, new key) pairs reported per process: a stranger cycling keys cannot flood stdout. */
const MAX_KEY_CHANGES_REPORTED = 1000;

/** Prints `key-changed` once per (id, new fingerprint); returns the unsubscribe. */
export function reportKeyChanges(security: ChannelSecurity, emit: (event: NodeEvent) => void): () => void {
  const reported = new Set<string>();
  const onKeyChanged = (change: KeyChange): void => {
    const key = `${change.id} ${change.newFingerprint}`;
    if (reported.has(key) || reported.size >= MAX_KEY_CHANGES_REPORTED) return;
    reported.add(key);
    emit({ event: 'key-changed', ...change });
  };
  security.trust.on('key-changed', onKeyChanged);
  return () => security.trust.off('key-changed', onKeyChanged);
}

/** BLOCK <id|fingerprint> and TRUST <id> <fingerprint>: the event that confirms it, or throws BAD_COMMAND. */
export function runTrustCommand(security: ChannelSecurity, command: StdinCommand): NodeEvent {
  if (command.name === 'BLOCK') {
    const target = command.arg;
    if (/\s/.test(target)) throw new P2PError('BAD_COMMAND', 'BLOCK takes one peer id or fingerprint');
    if (target === security.id) throw new P2PError('BAD_COMMAND', 'a peer cannot block itself');
    const blocked = security.trust.block(target);
    return { event: 'blocked', ...blocked };
  }
  const [id, fingerprint, extra] = command.arg.split(/\s+/);
  if (!id || !fingerprint || extra !== undefined)
    throw new P2PError('BAD_COMMAND', 'TRUST takes a peer id and a fingerprint');
  const lower = fingerprint.toLowerCase();
  security.trust.replacePin(id, lower);
  return { event: 'trusted', id, fingerprint: lower };
}
