import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CloseCode, type ErrorCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { TokenBucket } from '../util/token-bucket.js';

export interface ConnectionLimits {
  slowConsumerBytes: number;
  ratePerSec: number;
  rateBurst: number;
  rateStrikes: number;
}

export type FrameAdmission = 'ok' | 'limited' | 'abuse';

/** Frames are pre-encoded Buffers; without this ws would send them as binary. */
const TEXT = { binary: false } as const;

/** Time a closing peer gets to finish the close handshake before it is cut off. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Write coalescing: the first frame sent to a socket in a tick corks it, and every
 * socket is uncorked together once the tick's synchronous work (a whole group-commit
 * batch fanned out) is done, so a socket gets one writev per batch, not one per frame.
 */
const corked: ChatConnection[] = [];
/** A socket holding this much corked is flushed at once, so a burst is not held back whole. */
const CORK_FLUSH_BYTES = 64 * 1024;
const uncorkAll = (): void => {
  for (const conn of corked) conn.uncork();
  corked.length = 0;
};

/** One open WebSocket in one room: delivery state, backpressure and rate limiting. */
export class ChatConnection {
  /** Newest seq delivered; live messages at or below it are duplicates and skipped. */
  lastSeq = 0;
  /** Answered the last ping (heartbeat). */
  isAlive = true;
  /** Live messages held back while a resume replay is being sent. */
  private held: { seq: number; frame: Buffer }[] | null = null;
  private closing = false;
  /** The socket, while corked until the end of this tick (see `uncorkAll`). */
  private socketCorked: Duplex | null = null;
  /** Bytes (about) written to the socket since it was corked or last flushed. */
  private corkedBytes = 0;
  /** The code this server closed the connection with, if it did. */
  closeCode: number | null = null;
  private readonly bucket: TokenBucket | null;
  private strikes = 0;

  constructor(
    readonly ws: WebSocket,
    readonly roomId: string,
    readonly username: string,
    readonly ip: string,
    private readonly limits: ConnectionLimits,
  ) {
    this.bucket =
      limits.ratePerSec > 0 ? new TokenBucket(limits.rateBurst, limits.ratePerSec) : null;
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Sends an already-serialized frame. A peer that has stopped reading is
   * dropped once its queue passes the threshold, instead of growing memory.
   */
  sendRaw(frame: Buffer | string): void {
    if (!this.isOpen) return;
    const socket = this.socketCorked;
    if (!socket) {
      // Data left unsent by earlier ticks; frames corked in this tick are no backlog yet.
      if (this.ws.bufferedAmount > this.limits.slowConsumerBytes) {
        this.close(CloseCode.SLOW_CONSUMER, 'Slow consumer: too much unsent data');
        return;
      }
      const raw = (this.ws as unknown as { _socket?: Duplex })._socket;
      if (raw) {
        raw.cork();
        this.socketCorked = raw;
        this.corkedBytes = 0;
        if (corked.push(this) === 1) process.nextTick(uncorkAll);
      }
    } else if (this.corkedBytes >= CORK_FLUSH_BYTES) {
      // A burst: hand what is corked to the kernel now, and judge the backlog as uncorked.
      socket.uncork();
      socket.cork();
      this.corkedBytes = 0;
      if (this.ws.bufferedAmount > this.limits.slowConsumerBytes) {
        this.close(CloseCode.SLOW_CONSUMER, 'Slow consumer: too much unsent data');
        return;
      }
    }
    this.ws.send(frame, TEXT);
    this.corkedBytes += frame.length;
  }

  /** Flushes the frames written since `sendRaw` corked the socket. */
  uncork(): void {
    const socket = this.socketCorked;
    this.socketCorked = null;
    socket?.uncork();
  }

  send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  sendError(code: ErrorCode, message: string, clientId?: string): void {
    this.send({
      type: 'error',
      data: clientId === undefined ? { code, message } : { code, message, client_id: clientId },
    });
  }

  /** Delivers a live message in seq order, exactly once. */
  deliverMessage(seq: number, frame: Buffer): void {
    if (this.held) {
      this.held.push({ seq, frame });
      return;
    }
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.sendRaw(frame);
  }

  /** Holds live messages until `endReplay`, so a replay and live traffic never interleave. */
  beginReplay(): void {
    this.held = [];
  }

  endReplay(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const { seq, frame } of held) this.deliverMessage(seq, frame);
  }

  /** Token bucket per connection; repeated violations become abuse. */
  admitFrame(): FrameAdmission {
    if (!this.bucket) return 'ok';
    if (this.bucket.take()) {
      if (this.strikes > 0) this.strikes--;
      return 'ok';
    }
    this.strikes++;
    return this.strikes > this.limits.rateStrikes ? 'abuse' : 'limited';
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    this.held = null;
    // A paused socket (still joining) must read the peer's close frame.
    this.ws.resume();
    this.ws.close(code, reason);
    // A peer that never answers the close handshake (or never reads) is cut off.
    const cutOff = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    this.ws.once('close', () => clearTimeout(cutOff));
  }
}
