// Query ids this peer has already handled. Bounded: the oldest ids are forgotten first, which
// is safe because a flood dies out (TTL) long before thousands of newer queries pass by.
export class SeenQueries {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 4096) {}

  /** Records `qid`; returns false if it was already seen. */
  remember(qid: string): boolean {
    if (this.ids.has(qid)) return false;
    this.ids.add(qid);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
