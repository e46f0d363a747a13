// How long a holder may take over a chunk. The clock runs from its last delivered chunk (or from
// the moment it was given work while idle), never from its last byte: a holder trickling bytes
// misses its deadline like a silent one. A late chunk is asked of another holder; a holder that
// misses several deadlines in a row without delivering anything is dropped.

export interface DeadlinePolicy {
  /** Below this rate a holder is late: a chunk of L bytes is due within L / rate. */
  minBytesPerSecond: number;
  /** No deadline is shorter than this (small chunks, scheduling noise). */
  minMs: number;
  /** Deadlines a holder may miss in a row, delivering nothing, before it is dropped. */
  maxMisses: number;
}

export const DEFAULT_DEADLINES: DeadlinePolicy = {
  minBytesPerSecond: 256 * 1024,
  minMs: 2000,
  maxMisses: 3,
};

/** The time a holder has to deliver a chunk of `length` bytes. */
export function chunkDeadlineMs(length: number, policy: DeadlinePolicy): number {
  return Math.max(policy.minMs, Math.ceil((length / policy.minBytesPerSecond) * 1000));
}
