import type { Duplex } from 'node:stream';

/** A socket whose writes can be held for the rest of the tick. */
export interface Corkable {
  /** Flushes what was written since the socket was corked. */
  uncork(): void;
}

/**
 * Write coalescing for one gateway: the first frame sent to a socket in a tick
 * corks it, and every corked socket is uncorked together once the tick's
 * synchronous work (a whole group-commit batch fanned out) is done, so a socket
 * gets one writev per batch, not one per frame.
 */
export class WriteCoalescer {
  private corked: Corkable[] = [];
  private readonly flush = (): void => {
    const corked = this.corked;
    this.corked = [];
    for (const conn of corked) conn.uncork();
  };

  /** Corks `socket` on behalf of `owner` until the end of this tick. */
  cork(owner: Corkable, socket: Duplex): void {
    socket.cork();
    if (this.corked.push(owner) === 1) process.nextTick(this.flush);
  }
}
