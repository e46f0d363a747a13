// The server side of the chord RPCs: turns an incoming chord message into a ChordService call
// and answers it on the same connection. The peer's connection router calls this for every
// message; it returns false for messages that are not chord's, so the router can try others.
import type { Connection, Incoming } from '../wire/connection';
import { P2PError } from '../wire/errors';
import { idFromHex } from './id';
import { fromNodeRef, fromVersionRef, toNodeRef, toVersionRef, type ChordService, type VersionService } from './remote';

export function handleChordMessage(
  conn: Connection,
  incoming: Incoming,
  service: ChordService,
  signal: AbortSignal,
): boolean {
  const { msg } = incoming;
  const answer = (run: () => Promise<void> | void): true => {
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => conn.replyError(incoming, err).catch(() => undefined));
    return true;
  };
  const ok = (): Promise<void> => conn.reply(incoming, { t: 'ok' });
  const records = (): VersionService => {
    if (!service.versionRecords) throw new P2PError('NOT_SHARED', 'this node keeps no file records');
    return service.versionRecords;
  };
  switch (msg.t) {
    case 'chord-step':
      return answer(() => {
        const avoid = new Set((msg.avoid ?? []).map((ref) => idFromHex(ref.nodeId)));
        const step = service.lookupStep(idFromHex(msg.key), avoid);
        return conn.reply(
          incoming,
          'owner' in step
            ? { t: 'chord-step-result', owner: toNodeRef(step.owner) }
            : { t: 'chord-step-result', next: step.next.map(toNodeRef) },
        );
      });
    case 'chord-neighbors-get':
      return answer(() => {
        const { predecessor, successors } = service.getNeighbors();
        return conn.reply(incoming, {
          t: 'chord-neighbors',
          successors: successors.map(toNodeRef),
          predecessor: predecessor ? toNodeRef(predecessor) : undefined,
        });
      });
    case 'chord-notify':
      return answer(() => {
        service.notify(fromNodeRef(msg.node));
        return ok();
      });
    case 'chord-successor-hint':
      return answer(() => {
        service.successorHint(fromNodeRef(msg.node));
        return ok();
      });
    case 'chord-ping':
      return answer(ok);
    case 'chord-leaving':
      return answer(() => {
        service.leaving(fromNodeRef(msg.node), {
          predecessor: msg.predecessor ? fromNodeRef(msg.predecessor) : null,
          successors: msg.successors.map(fromNodeRef),
        });
        return ok();
      });
    case 'chord-hold':
      return answer(async () => {
        await service.offerFiles(fromNodeRef(msg.source), msg.names, signal);
        await ok();
      });
    case 'chord-merge':
      return answer(() => {
        service.mergeHint({
          origin: fromNodeRef(msg.origin),
          contacts: msg.contacts.map(fromNodeRef),
          ttl: msg.ttl,
        });
        return ok();
      });
    case 'chord-publish':
      return answer(async () => {
        const { name, size, root } = msg;
        await records().publishVersion(name, { size, root }, fromNodeRef(msg.holder), signal);
        await ok();
      });
    case 'chord-withdraw':
      return answer(async () => {
        const { name, root } = msg;
        await records().withdrawVersion(name, { root }, fromNodeRef(msg.holder), signal);
        await ok();
      });
    case 'chord-versions-get':
      return answer(() =>
        conn.reply(incoming, {
          t: 'chord-versions',
          name: msg.name,
          versions: records().versionsOf(msg.name).map(toVersionRef),
        }),
      );
    case 'chord-versions-put':
      return answer(() => {
        records().putVersions(msg.name, msg.versions.map(fromVersionRef));
        return ok();
      });
    case 'chord-step-result':
    case 'chord-neighbors':
    case 'chord-versions':
      // Answers arrive with `re` and never reach here; one without is a protocol error.
      return answer(() => {
        throw new P2PError('PROTOCOL', `unsolicited "${msg.t}"`);
      });
    default:
      return false;
  }
}
