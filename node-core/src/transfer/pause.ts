// Pausing a download is an abort with this reason: the download stops as a cancel does, but its
// .part stays, so a later GET of the same name resumes from the chunks that still verify.
import { P2PError } from '../wire';

export class PauseRequest extends Error {
  constructor() {
    super('download paused');
    this.name = 'PauseRequest';
  }
}

/** Whether an aborted download was paused (keep the .part) rather than cancelled (remove it). */
export function isPaused(signal: AbortSignal | undefined): boolean {
  return signal?.reason instanceof PauseRequest;
}

/** The error an aborted download ends with: PAUSED or CANCELLED. */
export function abortedDownloadError(name: string, signal: AbortSignal | undefined): P2PError {
  return isPaused(signal)
    ? new P2PError('PAUSED', `download of "${name}" paused; its .part is kept to resume`, name)
    : new P2PError('CANCELLED', `download of "${name}" cancelled`, name);
}
