import type { Logger } from '../util/logger.js';

/** What a room's log holds: entries with a place in it (messages and changes, ChatStore's LogEntry). */
export interface Sequenced {
  seq: number;
}

/** The room's stored log, where a sequencer reads what the bus did not bring. */
export interface RoomLog<E extends Sequenced> {
  /** The room's newest seq (0 when empty), or null for an unknown room. */
  latestSeq(roomId: string): Promise<number | null>;
  /**
   * Up to `limit` entries with `seq > afterSeq`, in seq order. Entries may be
   * missing (a deleted message): the sequencer does not wait for those.
   */
  entriesAfter(roomId: string, afterSeq: number, limit: number): Promise<E[]>;
}

export interface SequencerOptions {
  log?: Logger;
  /** Most messages read from the store at once. @default 500 */
  fetchLimit?: number;
  /** Reads of one gap that fail in a row before the gap is skipped. @default 5 */
  readTries?: number;
  /** Wait before retrying a failed read, times the number of failures. @default 200 */
  retryMs?: number;
}

/**
 * Where a room's sequencer is:
 * - `starting`: the bus subscription is being confirmed and the newest seq read;
 *   live messages wait.
 * - `live`: messages that follow on are delivered at once.
 * - `reading`: a gap (or, after a bus outage, everything newer) is being read
 *   from the store; live messages wait. `catchUp` asks for everything newer
 *   once the current read is done.
 * - `stopped`: the room has no local members any more; nothing is delivered.
 */
export type SequencerState =
  | { phase: 'starting'; catchUp: boolean }
  | { phase: 'live' }
  | { phase: 'reading'; catchUp: boolean }
  | { phase: 'stopped' };

/**
 * The order in which one room's messages go out from this process: by seq,
 * each once, whichever process stored them and whatever the bus lost.
 *
 * Messages arrive from the bus in publish order per process, but two processes
 * publish independently, and a bus outage loses events. The sequencer tracks
 * the newest seq it delivered; a message past a gap waits while the gap is read
 * from the store, and after an outage everything newer is read. Without a store
 * (or before the newest seq is known) messages go out as they come.
 */
export class RoomSequencer<E extends Sequenced> {
  private state: SequencerState = { phase: 'starting', catchUp: false };
  /** Newest seq delivered; null while unknown. */
  private lastSeq: number | null = null;
  /** Live messages that wait for the start, a read, or a gap before them. */
  private pending: E[] = [];
  private readonly fetchLimit: number;
  private readonly readTries: number;
  private readonly retryMs: number;

  constructor(
    private readonly roomId: string,
    private readonly store: RoomLog<E> | null,
    private readonly deliver: (entry: E) => void,
    private readonly opts: SequencerOptions = {},
  ) {
    this.fetchLimit = opts.fetchLimit ?? 500;
    this.readTries = opts.readTries ?? 5;
    this.retryMs = opts.retryMs ?? 200;
  }

  get phase(): SequencerState['phase'] {
    return this.state.phase;
  }

  /** Newest seq delivered, or null while unknown. */
  get delivered(): number | null {
    return this.lastSeq;
  }

  /**
   * Call once the room's bus subscription is live: learns the newest seq, then
   * delivers whatever waited meanwhile. Never rejects.
   */
  async start(): Promise<void> {
    if (this.state.phase !== 'starting') return;
    if (this.store) {
      try {
        this.lastSeq = (await this.store.latestSeq(this.roomId)) ?? 0;
      } catch (error) {
        // Unknown: the next message sets it. Joining must not fail over this.
        this.opts.log?.warn({ err: error, room: this.roomId }, 'reading the latest seq failed');
      }
    }
    if (this.state.phase !== 'starting') return;
    await this.read(this.state.catchUp);
  }

  /** A message from the bus. */
  offer(message: E): void {
    switch (this.state.phase) {
      case 'starting':
      case 'reading':
        this.pending.push(message);
        return;
      case 'stopped':
        return;
      case 'live':
        if (!this.ordered()) {
          this.emit(message);
        } else if (message.seq === (this.lastSeq as number) + 1) {
          this.emit(message);
        } else if (message.seq > (this.lastSeq as number)) {
          this.pending.push(message);
          void this.read(false);
        }
        // else: delivered already (own echo, caught up from the store)
        return;
    }
  }

  /** The bus came back from an outage: read everything newer from the store. */
  catchUp(): void {
    switch (this.state.phase) {
      case 'starting':
      case 'reading':
        this.state.catchUp = true;
        return;
      case 'live':
        void this.read(true);
        return;
      case 'stopped':
        return;
    }
  }

  stop(): void {
    this.state = { phase: 'stopped' };
    this.pending = [];
  }

  /** Whether messages can be held to seq order (a store to fill gaps, and a known position). */
  private ordered(): boolean {
    return this.store !== null && this.lastSeq !== null;
  }

  private emit(message: E): void {
    this.lastSeq = message.seq;
    this.deliver(message);
  }

  /** Delivers waiting messages that follow on; leaves those past a gap. */
  private drainPending(): void {
    this.pending.sort((a, b) => a.seq - b.seq);
    let i = 0;
    for (; i < this.pending.length; i++) {
      const message = this.pending[i] as E;
      if (!this.ordered()) {
        this.emit(message);
        continue;
      }
      const last = this.lastSeq as number;
      if (message.seq <= last) continue;
      if (message.seq !== last + 1) break;
      this.emit(message);
    }
    this.pending.splice(0, i);
  }

  /**
   * Reads from the store what the bus did not bring, in order: the gap before the
   * first waiting message, or (catching up) everything newer. One read at a time.
   */
  private async read(catchUp: boolean): Promise<void> {
    const state: SequencerState = { phase: 'reading', catchUp };
    this.state = state;
    let readAll = false;
    let failures = 0;
    while (this.state === state) {
      readAll ||= state.catchUp;
      state.catchUp = false;
      this.drainPending();
      const next = this.pending[0];
      if (!this.store || this.lastSeq === null || (!next && !readAll)) break;
      const from = this.lastSeq;
      const want =
        next && !readAll ? Math.min(next.seq - from - 1, this.fetchLimit) : this.fetchLimit;
      try {
        const found = await this.store.entriesAfter(this.roomId, from, want);
        if (this.state !== state) return;
        failures = 0;
        for (const message of found) {
          // seqs are gapless; should one be missing anyway, go on rather than loop
          if (message.seq > (this.lastSeq as number)) this.emit(message);
        }
        if (found.length < want) readAll = false;
        // Nothing stored in the gap (the room was deleted): do not wait for it.
        if (found.length === 0 && next) this.lastSeq = next.seq - 1;
      } catch (error) {
        this.opts.log?.warn(
          { err: error, room: this.roomId, after: from },
          'catching up from the store failed',
        );
        if (++failures >= this.readTries) {
          this.opts.log?.error(
            { room: this.roomId, after: from },
            'skipping a gap the store cannot fill',
          );
          if (next) this.lastSeq = next.seq - 1;
          readAll = false;
          failures = 0;
        } else {
          await new Promise((r) => setTimeout(r, this.retryMs * failures).unref());
        }
      }
    }
    if (this.state === state) this.state = { phase: 'live' };
  }
}
