import type { Message } from '../protocol/rest.js';

/**
 * The confirmed messages of a room, kept exactly like the server's history: one
 * entry per seq (duplicates from replays, echoes or REST reloads are dropped),
 * always ordered by seq.
 */
export class MessageTimeline {
  private list: Message[] = [];
  private readonly bySeq = new Map<number, Message>();
  private readonly ids = new Set<string>();

  get messages(): readonly Message[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  get firstSeq(): number | undefined {
    return this.list[0]?.seq;
  }

  get lastSeq(): number | undefined {
    return this.list[this.list.length - 1]?.seq;
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Adds one message; returns false when it was already there. */
  add(m: Message): boolean {
    if (this.bySeq.has(m.seq) || this.ids.has(m.id)) return false;
    this.bySeq.set(m.seq, m);
    this.ids.add(m.id);
    const last = this.list[this.list.length - 1];
    if (!last || m.seq > last.seq) {
      this.list.push(m);
      return true;
    }
    // Binary search for the first element with a larger seq.
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.list[mid]?.seq ?? 0) < m.seq) lo = mid + 1;
      else hi = mid;
    }
    this.list.splice(lo, 0, m);
    return true;
  }

  /** Adds several messages; returns the ones that were new. */
  addMany(ms: readonly Message[]): Message[] {
    const added: Message[] = [];
    for (const m of ms) if (this.add(m)) added.push(m);
    return added;
  }

  clear(): void {
    this.list = [];
    this.bySeq.clear();
    this.ids.clear();
  }
}
