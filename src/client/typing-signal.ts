// Our own "typing…" as the room sees it. Others expire a `typing: true` after 2 s,
// so while we type one is sent at most every `throttleMs` to keep it alive; the
// `false` is sent once, when we stop.
import type { TypingFrame } from '../protocol/frames.js';

export class TypingSignal {
  private active = false;
  private sentAt = 0;

  constructor(
    /** Writes a frame if connected; false when it was not sent. */
    private readonly send: (frame: TypingFrame) => boolean,
    private readonly throttleMs: number,
  ) {}

  set(active: boolean): void {
    const now = Date.now();
    if (active) {
      if (this.active && now - this.sentAt < this.throttleMs) return;
      if (this.send({ type: 'typing', is_typing: true })) {
        this.active = true;
        this.sentAt = now;
      }
    } else if (this.active) {
      this.active = false;
      this.sentAt = 0;
      this.send({ type: 'typing', is_typing: false });
    }
  }

  /** The connection ended: the server no longer shows us typing, so the next `true` goes out. */
  reset(): void {
    this.active = false;
  }
}
