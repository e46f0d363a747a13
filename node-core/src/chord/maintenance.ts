// The periodic side of Chord: stabilize, fix_fingers, check_predecessor and replica upkeep, each
// on its own timer. A task is re-armed only after its previous run finished, so a slow network
// never piles runs up, and close() clears every timer (nothing else keeps a handle on them).

export interface ChordTimings {
  stabilizeMs: number;
  fixFingersMs: number;
  checkPredecessorMs: number;
  /** Owner pushes its keys to its replicas, replicas re-check who owns what. */
  replicateMs: number;
}

export const DEFAULT_TIMINGS: ChordTimings = {
  stabilizeMs: 1000,
  fixFingersMs: 500,
  checkPredecessorMs: 2000,
  replicateMs: 3000,
};

/** Short intervals for tests on one machine. */
export const FAST_TIMINGS: ChordTimings = {
  stabilizeMs: 60,
  fixFingersMs: 40,
  checkPredecessorMs: 150,
  replicateMs: 300,
};

/**
 * A peer's `heartbeatMs` paces the chord timers that its `timings` do not set
 * (stabilize = 1×, fix_fingers = ½×, check_predecessor = 2×, replicas = 3×).
 */
export function timingsFromHeartbeat(heartbeatMs: number | undefined): Partial<ChordTimings> {
  if (!heartbeatMs) return {};
  return {
    stabilizeMs: heartbeatMs,
    fixFingersMs: Math.max(10, Math.round(heartbeatMs / 2)),
    checkPredecessorMs: 2 * heartbeatMs,
    replicateMs: 3 * heartbeatMs,
  };
}

export type PeriodicTask = () => Promise<void>;

export class PeriodicTasks {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly onError: (task: string, err: unknown) => void = () => undefined) {}

  /** Runs `task` every `intervalMs` (first run after a random fraction of it, to spread load). */
  every(name: string, intervalMs: number, task: PeriodicTask): void {
    const arm = (delay: number): void => {
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        task().then(
          () => arm(intervalMs),
          (err: unknown) => {
            if (!this.closed) this.onError(name, err);
            arm(intervalMs);
          },
        );
      }, delay);
      this.timers.add(timer);
    };
    arm(Math.floor(Math.random() * intervalMs));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
