// Committed rows on their way into an index that takes them in bulk, after their
// commit: the waiting, the timer and the retry shared by the search index
// (sqlite-search-backlog.ts) and the room index (sqlite-room-index.ts).

/**
 * Entries wait in memory until `maxPending` of them do or `delayMs` passed, and
 * are then written in one transaction (`write`). A reader of the index calls
 * `flush` first, so nothing past the backlog sees it behind; each index recovers
 * what a crash left waiting at its next start.
 */
export class CommitBacklog<T> {
  private pending: T[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Writes now, never throwing: the rows were committed, whatever happens to this. */
  private readonly onTimer = (): void => {
    try {
      this.flush();
    } catch {
      // Busy or I/O: the entries keep waiting; the timer or a reader retries.
      this.timer = null;
      this.schedule();
    }
  };

  constructor(
    private readonly write: (entries: readonly T[]) => void,
    private readonly delayMs: number,
    private readonly maxPending: number,
  ) {}

  /** Rows just committed; they reach the index within `delayMs`. */
  add(entries: readonly T[]): void {
    for (const e of entries) this.pending.push(e);
    if (this.pending.length >= this.maxPending) this.onTimer();
    else this.schedule();
  }

  /** Writes every waiting entry now, in one transaction (outside any other). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    // Kept until the commit: a failed transaction leaves them waiting.
    this.write(this.pending);
    this.pending = [];
  }

  /** Writes what waits and stops the timer (the store is closing). */
  close(): void {
    try {
      this.flush();
    } catch {
      // The next start recovers them; closing goes on.
    }
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(this.onTimer, this.delayMs);
    this.timer.unref();
  }
}
