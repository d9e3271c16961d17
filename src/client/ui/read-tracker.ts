// Messages count as read when they were on screen: an IntersectionObserver over the
// timeline's messages (found as they are added, by a MutationObserver, so the
// timeline's rendering needs no part in it) reports the newest seq seen while the
// tab is visible; the room view moves the read position there.

/** Part of a message that must be in view for it to count as seen (or half the view, for tall ones). */
const SEEN_RATIO = 0.5;
/** Many messages scrolled past in a moment make one `read`. */
const FLUSH_MS = 300;

export class ReadTracker {
  private readonly io: IntersectionObserver | null;
  private readonly mo: MutationObserver;
  /** Seqs in view now (they become seen when the tab is visible). */
  private readonly inView = new Set<number>();
  private seen = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onVisible = () => this.collect();

  constructor(
    private readonly scroller: HTMLElement,
    log: HTMLElement,
    private readonly onSeen: (seq: number) => void,
  ) {
    this.io =
      typeof IntersectionObserver === 'undefined'
        ? null
        : new IntersectionObserver((entries) => this.onEntries(entries), {
            root: scroller,
            threshold: [0, SEEN_RATIO, 1],
          });
    this.mo = new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) this.observe(n);
    });
    this.mo.observe(log, { childList: true });
    for (const n of log.children) this.observe(n);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.io?.disconnect();
    this.mo.disconnect();
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  private observe(n: Node): void {
    if (n instanceof HTMLElement && n.dataset.seq !== undefined) this.io?.observe(n);
  }

  private onEntries(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const seq = Number((e.target as HTMLElement).dataset.seq);
      if (!Number.isSafeInteger(seq)) continue;
      const viewH = e.rootBounds?.height ?? this.scroller.clientHeight;
      const seen =
        e.isIntersecting &&
        (e.intersectionRatio >= SEEN_RATIO || e.intersectionRect.height >= viewH * SEEN_RATIO);
      if (seen) this.inView.add(seq);
      else this.inView.delete(seq);
    }
    this.collect();
  }

  /** What is in view counts once the person can see the tab. */
  private collect(): void {
    if (document.hidden) return;
    let max = this.seen;
    for (const seq of this.inView) if (seq > max) max = seq;
    if (max <= this.seen) return;
    this.seen = max;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.onSeen(this.seen);
      }, FLUSH_MS);
    }
  }
}
