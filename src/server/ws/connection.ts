// One WebSocket as the server holds it, whichever endpoint it came from: what it
// was sent (lastSeq, so a resume and live traffic never double), liveness, write
// coalescing, backpressure, and a close that waits for the echoes of stored sends.
// Over 300 lines: those states change together on every write and close.
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket } from 'ws';
import { CloseCode, type ErrorCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { UserActor } from '../domain/actor.js';
import type { ResumePlan } from '../domain/resume.js';
import type { LogEntry } from '../storage/chat-store.js';
import { FrameThrottle } from './frame-throttle.js';
import type { RoomMember, RoomPeer } from './room-member.js';
import {
  changeFrame,
  type EncodedFrame,
  encodeFrame,
  errorFrame,
  messageFrame,
  type RoomFrame,
  resyncFrame,
} from './server-frames.js';
import type { WriteCoalescer } from './write-coalescer.js';

export interface ConnectionLimits {
  slowConsumerBytes: number;
  /** Inbound frames per second (0: unlimited) and burst; see `FrameThrottle`. */
  ratePerSec: number;
  rateBurst: number;
  /** Throttled without a break this long: closed with 4129. 0 never closes. */
  throttleMaxMs: number;
}

export interface ConnectionHooks {
  /** Processes one inbound frame (the dispatcher). */
  frame(conn: ChatConnection, data: RawData, isBinary: boolean): void;
  /** The connection's inbound frames started (true) or stopped (false) waiting for the rate. */
  backlog?(conn: ChatConnection, waiting: boolean): void;
  /**
   * Whether every message this connection stored has been echoed to it, for a
   * connection whose rooms keep their own positions (a workspace socket). By
   * default its own `lastSeq` against the seqs its sends stored.
   */
  echoed?(): boolean;
}

/** Time a closing peer gets to finish the close handshake before it is cut off. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Most time a rate-limit close waits for the echoes of the connection's stored
 * messages (they can only be late if the bus or store is failing; a client then
 * finds them by resuming).
 */
const ECHO_WAIT_MS = 5_000;

/** A socket holding this much corked is flushed at once, so a burst is not held back whole. */
const CORK_FLUSH_BYTES = 64 * 1024;

/**
 * Live messages one member may have held while its resume goes out (see `pace`):
 * more, and it is not keeping up with the room (closed as a slow consumer). Each
 * is a reference to a frame shared by the room, so this bounds an array, not bytes.
 */
export const HELD_MAX = 10_000;

/**
 * How long a resume's replay may wait for the socket to drain (a quarter of the
 * slow-consumer limit) before its client counts as a slow consumer: the replay's
 * messages stay in memory while it waits.
 */
export const REPLAY_STALL_MS = 15_000;

/**
 * The live entries held behind a resume that come after it, each once, in order:
 * read until none is left, those that arrive meanwhile included (the caller ends
 * the holding right after, in the same turn).
 */
export function* drainHeld(
  held: readonly { seq: number; frame: EncodedFrame }[],
  advance: (seq: number) => boolean,
): Generator<EncodedFrame> {
  for (let i = 0; i < held.length; i++) {
    const { seq, frame } = held[i] as { seq: number; frame: EncodedFrame };
    if (advance(seq)) yield frame;
  }
}

/** The socket and the gateway's coalescer a connection writes through. */
export interface ConnectionTransport {
  /** The TCP socket under `ws` (from the upgrade), corked to coalesce writes. */
  socket: Duplex;
  coalescer: WriteCoalescer;
}

/**
 * One open WebSocket in one room. It alone owns its delivery state: the newest
 * seq delivered (`lastSeq`), liveness for the heartbeat, write coalescing and
 * backpressure, and inbound rate limiting.
 */
export class ChatConnection implements RoomMember, RoomPeer {
  readonly flavour = 'chat';
  /** A `/ws/chat` connection is always present in its room. */
  readonly present = true;
  /** Set by the gateway once its join is counted (RoomMember.presenceFrom). */
  presenceFrom = Number.POSITIVE_INFINITY;
  /** Newest seq delivered; live messages at or below it are duplicates and skipped. */
  private lastSeq = 0;
  /** Answered the last ping (heartbeat). */
  private alive = true;
  /** Live messages held back while a resume is being sent. */
  private held: { seq: number; frame: Buffer }[] | null = null;
  private closing = false;
  /** Corked until the end of this tick (see WriteCoalescer). */
  private corked = false;
  /** Bytes (about) written to the socket since it was corked or last flushed. */
  private corkedBytes = 0;
  /** Writing a resume's frames (see `pace`): the slow-consumer limit does not judge them. */
  private pacing = false;
  /** The code this server closed the connection with, if it did. */
  closeCode: number | null = null;
  /** Accounts mode: the account and the credential (session or token) it connected with. */
  account: UserActor | null = null;
  /**
   * Joined with `features=changes`: gets `change` frames. Without it the connection
   * speaks the original protocol, message seqs with gaps where changes sit.
   */
  changes = false;
  /** Inbound rate limiting; null when unlimited. */
  private readonly inbound: FrameThrottle | null;
  /** No more inbound frames are processed (closing, shutting down). */
  private readingStopped = false;
  /** `message` frames handed to the MessageService and not settled yet. */
  private sendsInFlight = 0;
  /** Highest seq this connection stored; its echo must go out before a rate-limit close. */
  private storedSeq = 0;
  /**
   * The connection's changes (edit, delete, react), one after another: each is
   * checked (asynchronously) before it joins the store's queue, and a later frame
   * must not overtake an earlier one (a react, then an unreact).
   */
  private changeTail: Promise<void> | null = null;
  /** Tasks queued on `changeTail` and not yet settled. */
  private ordered = 0;
  /** A close waiting for `sendsInFlight` to settle and `storedSeq` to be echoed. */
  private closeWhenEchoed: { code: number; reason: string; timer: NodeJS.Timeout } | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly roomId: string,
    readonly username: string,
    readonly ip: string,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
    private readonly transport: ConnectionTransport,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    this.inbound =
      limits.ratePerSec > 0
        ? new FrameThrottle(
            {
              ratePerSec: limits.ratePerSec,
              burst: limits.rateBurst,
              maxThrottledMs: limits.throttleMaxMs,
            },
            {
              pauseReading: () => this.ws.pause(),
              resumeReading: () => {
                if (!this.readingStopped) this.ws.resume();
              },
              process: (data, isBinary) => hooks.frame(this, data, isBinary),
              overLimit: () =>
                this.closeAfterEchoes(CloseCode.RATE_LIMITED, 'Rate limit exceeded for too long'),
              backlog: (waiting) => hooks.backlog?.(this, waiting),
            },
          )
        : null;
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Sends frames already on the wire (server-frames.ts), several at once when they
   * are concatenated, with one write of those shared bytes. A peer that has stopped
   * reading is dropped once its queue passes the threshold, instead of growing memory.
   *
   * Writing to the socket beside `ws` keeps frames in order: its sender queues only
   * while it compresses or reads a Blob, and Parley does neither (no
   * permessage-deflate), so its own pings, pongs and closes are written at once too.
   * `ws.bufferedAmount` counts what the socket holds, so backpressure is unchanged.
   */
  sendRaw(frame: EncodedFrame): void {
    if (!this.isOpen) return;
    const socket = this.transport.socket;
    if (!this.corked) {
      // Data left unsent by earlier ticks; frames corked in this tick are no backlog yet.
      if (!this.pacing && this.ws.bufferedAmount > this.limits.slowConsumerBytes) {
        this.close(CloseCode.SLOW_CONSUMER, 'Slow consumer: too much unsent data');
        return;
      }
      this.transport.coalescer.cork(this, socket);
      this.corked = true;
      this.corkedBytes = 0;
    } else if (this.corkedBytes >= CORK_FLUSH_BYTES) {
      // A burst: hand what is corked to the kernel now, and judge the backlog as uncorked.
      socket.uncork();
      socket.cork();
      this.corkedBytes = 0;
      if (!this.pacing && this.ws.bufferedAmount > this.limits.slowConsumerBytes) {
        this.close(CloseCode.SLOW_CONSUMER, 'Slow consumer: too much unsent data');
        return;
      }
    }
    socket.write(frame);
    this.corkedBytes += frame.length;
  }

  /** Flushes the frames written since `sendRaw` corked the socket (the coalescer calls it). */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.transport.socket.uncork();
  }

  sendError(code: ErrorCode, message: string, clientId?: string): void {
    this.sendRaw(errorFrame(code, message, clientId));
  }

  send(frame: ServerFrame): void {
    this.sendRaw(encodeFrame(frame));
  }

  roomDeleted(notice: RoomFrame): void {
    this.sendRaw(notice.for('chat'));
    this.close(CloseCode.ROOM_DELETED, 'Room deleted');
  }

  removedFromRoom(): void {
    this.close(CloseCode.REMOVED_FROM_ROOM, 'Removed from this room');
  }

  /** Delivers a live log entry (message or change) in seq order, exactly once; false when it was skipped. */
  deliverMessage(seq: number, frame: Buffer): boolean {
    if (this.held) {
      if (this.held.push({ seq, frame }) > HELD_MAX) this.slowConsumer();
      return false;
    }
    if (!this.advance(seq)) return false;
    this.sendRaw(frame);
    if (this.closeWhenEchoed) this.closeIfEchoed();
    return true;
  }

  /**
   * Holds live messages until `resume`, so a resume and live traffic never
   * interleave. Called before the store is read.
   */
  holdForResume(): void {
    this.held = [];
  }

  /**
   * Sends what a resume sends (the missed messages, or `resync`) at the client's
   * pace, then the live messages held meanwhile that come after it, each once.
   */
  resume(plan: ResumePlan<LogEntry>): void {
    this.pace(
      this.resumeFrames(plan),
      () => this.isOpen,
      () => {
        this.held = null;
        // The held messages went out: a rate-limit close may wait for one of them.
        if (this.closeWhenEchoed) this.closeIfEchoed();
      },
    );
  }

  private *resumeFrames(plan: ResumePlan<LogEntry>): Generator<EncodedFrame> {
    if (plan.kind === 'resync') {
      yield resyncFrame(plan.resync);
    } else {
      for (const entry of plan.entries) {
        if (entry.kind === 'message') yield messageFrame(entry.message);
        else if (this.changes) yield changeFrame(entry.change);
      }
    }
    this.lastSeq = plan.lastSeq;
    yield* drainHeld(this.held ?? [], (seq) => this.advance(seq));
  }

  /** Moves the delivery position to `seq`; false when it was delivered already. */
  private advance(seq: number): boolean {
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }

  /**
   * Writes a resume's frames, then calls `done`: as many as keep what the socket
   * holds under a quarter of the slow-consumer limit, the rest as it drains. What a
   * client missed is not a backlog it failed to read, so the limit does not judge
   * these writes: a replay of 1,000 long messages exceeded 4 MiB at once, and its
   * client was dropped (4100) again and again as it caught up. Live frames of the
   * room wait meanwhile (`held`, at most HELD_MAX), and a client that takes
   * nothing for REPLAY_STALL_MS is dropped, which bounds how long a replay's
   * messages stay in memory. Several resumes on one socket (a workspace's rooms)
   * share the room under the limit, a frame at a time.
   */
  pace(frames: Iterator<EncodedFrame>, wanted: () => boolean, done: () => void): void {
    // At least a socket's high-water mark, so that a write past it sets 'drain' to come.
    const room = Math.max(this.limits.slowConsumerBytes / 4, 64 * 1024);
    const step = (): void => {
      if (!wanted()) return;
      let finished = false;
      this.pacing = true;
      try {
        while (this.ws.bufferedAmount < room && wanted()) {
          const next = frames.next();
          if (next.done) {
            finished = true;
            break;
          }
          this.sendRaw(next.value);
        }
      } finally {
        this.pacing = false;
      }
      if (finished) {
        done();
        return;
      }
      const socket = this.transport.socket;
      const stalled = setTimeout(() => {
        socket.off('drain', drained);
        if (wanted()) this.slowConsumer();
      }, REPLAY_STALL_MS).unref();
      const drained = () => {
        clearTimeout(stalled);
        step();
      };
      socket.once('drain', drained);
    };
    step();
  }

  /** Too many live messages held behind a resume: the client does not keep up. */
  slowConsumer(): void {
    this.held = null;
    this.close(CloseCode.SLOW_CONSUMER, 'Slow consumer: too much unsent data');
  }

  /**
   * The heartbeat (A4 README): a peer that did not answer the previous ping is
   * cut off; false then. A peer whose reading the rate limit held back is spared:
   * its pong may sit unread behind its own frames.
   */
  heartbeat(): boolean {
    if (!this.alive && !this.readingHeldSinceCheck()) {
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    this.ws.ping();
    return true;
  }

  /**
   * An inbound frame, in the order the socket delivered it. Over the rate it
   * waits (and reading pauses); frames read after the server decided to close
   * are not processed.
   */
  private receive(data: RawData, isBinary: boolean): void {
    if (this.readingStopped || this.closing) return;
    if (this.inbound) this.inbound.push(data, isBinary);
    else this.hooks.frame(this, data, isBinary);
  }

  /**
   * True when the server held back reading from this peer at any time since the
   * last call: the peer's pong may be waiting, unread, behind its own frames.
   */
  private readingHeldSinceCheck(): boolean {
    const throttled = this.inbound?.takeHeld() ?? false;
    return throttled || this.closeWhenEchoed !== null;
  }

  /** Frames waiting for the rate limit. */
  get queuedFrames(): number {
    return this.inbound?.queued ?? 0;
  }

  /** Stops reading and processes every frame already read, at once (shutdown). */
  stopReading(): void {
    this.readingStopped = true;
    this.ws.pause();
    this.inbound?.flush();
  }

  /** Runs `task` (which must not reject) after this connection's earlier changes. */
  inOrder(task: () => Promise<void>): void {
    this.ordered++;
    // Made on the first change: most connections never send one (memory per connection).
    this.changeTail = (this.changeTail ?? Promise.resolve()).then(task).finally(() => {
      this.ordered--;
    });
  }

  /** Some change (or a message behind one) of this connection has not joined the log yet. */
  get changesPending(): boolean {
    return this.ordered > 0;
  }

  /**
   * Starts `send` once this connection's earlier changes have joined the log, so
   * a message never overtakes a change sent before it (an edit, then "fixed my
   * typo"; a delete, then a reply to it). Later frames wait for the start only.
   */
  afterChanges<T>(send: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inOrder(async () => {
        send().then(resolve, reject);
      });
    });
  }

  /** A `message` frame was handed to the MessageService. */
  sendStarted(): void {
    this.sendsInFlight++;
  }

  /** That send settled; `seq` is the stored message's if it was new (0 otherwise). */
  sendSettled(seq: number): void {
    this.sendsInFlight--;
    if (seq > this.storedSeq) this.storedSeq = seq;
    if (this.closeWhenEchoed) this.closeIfEchoed();
  }

  /**
   * Stops reading (unprocessed frames are dropped) and closes once every message
   * this connection stored has been echoed to it, so the close never overtakes an
   * echo: the client knows exactly which of its messages were stored.
   */
  closeAfterEchoes(code: number, reason: string): void {
    if (this.closing || this.closeWhenEchoed) return;
    this.readingStopped = true;
    this.ws.pause();
    this.inbound?.stop();
    const timer = setTimeout(() => this.close(code, reason), ECHO_WAIT_MS).unref();
    this.closeWhenEchoed = { code, reason, timer };
    this.closeIfEchoed();
  }

  /** A message went out elsewhere (a workspace subscription): a close waiting for echoes may go now. */
  echoProgress(): void {
    if (this.closeWhenEchoed) this.closeIfEchoed();
  }

  private closeIfEchoed(): void {
    const pending = this.closeWhenEchoed;
    const echoed = this.hooks.echoed ? this.hooks.echoed() : this.lastSeq >= this.storedSeq;
    if (pending && this.sendsInFlight === 0 && echoed) {
      this.close(pending.code, pending.reason);
    }
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    this.held = null;
    if (this.closeWhenEchoed) clearTimeout(this.closeWhenEchoed.timer);
    this.closeWhenEchoed = null;
    // A paused socket (still joining) must read the peer's close frame.
    this.ws.resume();
    this.ws.close(code, reason);
    // A peer that never answers the close handshake (or never reads) is cut off.
    const cutOff = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    this.ws.once('close', () => clearTimeout(cutOff));
  }
}
