// The room's history as this tab holds it: the newest page from REST before a
// connection that needs it (the first one, and after a resync or an epoch change),
// older pages on demand, and the history epoch those seqs belong to. Live messages
// go into the same timeline (the session adds them); this decides where a
// connection resumes from.
import { CloseCode } from '../protocol/error-codes.js';
import type { Message } from '../protocol/rest.js';
import { type Api, ApiError } from './api.js';
import { FatalConnectError } from './chat-client.js';
import type { MessageTimeline } from './message-timeline.js';
import type { EmitRoomEvent, HistoryState } from './room-events.js';

export interface RoomHistoryOptions {
  roomId: string;
  api: Api;
  timeline: MessageTimeline;
  pageSize: number;
  emit: EmitRoomEvent;
  /** Messages read from REST, after they joined the timeline (they may confirm our own). */
  onMessages: (msgs: readonly Message[]) => void;
  /** The timeline was rebuilt from REST and now ends at `lastSeq` (0: empty). */
  onRebuilt: (lastSeq: number) => void;
  /** A page came from another history (a restore): reload through a fresh connection. */
  onReplaced: () => void;
}

export class RoomHistory {
  private stateValue: HistoryState = { kind: 'loading' };
  private loaded = false;
  /** The history epoch our seqs belong to (from the server), null while unknown. */
  private epochValue: string | null = null;
  /** Bumped whenever the timeline is rebuilt, to drop stale "load older" answers. */
  private gen = 0;
  private hasOlderFlag = false;
  private loadingOlderFlag = false;
  private stopped = false;

  constructor(private readonly opts: RoomHistoryOptions) {}

  get state(): HistoryState {
    return this.stateValue;
  }
  get epoch(): string | null {
    return this.epochValue;
  }
  get hasOlder(): boolean {
    return this.hasOlderFlag;
  }
  get loadingOlder(): boolean {
    return this.loadingOlderFlag;
  }

  /**
   * Where the next connection resumes: the newest log entry (message or change), or
   * undefined before any history (no replay).
   */
  since(): number | undefined {
    return this.loaded ? this.opts.timeline.logSeq : undefined;
  }

  /** The next connection must load the history again first (`load()` replaces the timeline). */
  invalidate(): void {
    this.loaded = false;
  }

  /**
   * The server could not replay what we missed, or our position is from a history
   * that was replaced: its epoch (when given) is ours from now on, and the history
   * must be loaded again.
   */
  resync(epoch: unknown): void {
    if (typeof epoch === 'string') this.epochValue = epoch;
    this.invalidate();
  }

  /** Runs before every connection attempt: loads history the first time (or after a resync). */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.setState({ kind: 'loading' });
    let msgs: Message[];
    try {
      const page = await this.opts.api.messagePage(this.opts.roomId, {
        limit: this.opts.pageSize,
      });
      msgs = page.messages;
      // Without the header (an older server, a proxy), the last resync's epoch stands.
      this.epochValue = page.epoch ?? this.epochValue;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.setState({ kind: 'not_found' });
        throw new FatalConnectError(CloseCode.ROOM_NOT_FOUND, 'Room not found');
      }
      this.setState({ kind: 'error', message: errorText(err, "Couldn't load messages") });
      throw err;
    }
    if (this.stopped) return;
    // A reload replaces what we had: the new window may not touch the old one.
    this.gen++;
    this.opts.timeline.clear();
    this.loadingOlderFlag = false;
    this.absorb(msgs);
    this.opts.onRebuilt(this.opts.timeline.lastSeq ?? 0);
    this.hasOlderFlag = this.morePages(msgs);
    this.loaded = true;
    this.setState({ kind: 'ready' });
    this.emitOlder();
    this.opts.emit('timeline', { reason: 'history' });
  }

  async loadOlder(): Promise<void> {
    const first = this.opts.timeline.firstSeq;
    if (this.loadingOlderFlag || !this.hasOlderFlag || first === undefined) return;
    const gen = this.gen;
    this.loadingOlderFlag = true;
    this.emitOlder();
    try {
      const page = await this.opts.api.messagePage(this.opts.roomId, {
        limit: this.opts.pageSize,
        before: first,
      });
      if (gen !== this.gen || this.stopped) return;
      if (page.epoch !== null && this.epochValue !== null && page.epoch !== this.epochValue) {
        // The history was replaced (a restore): this page belongs to another one.
        this.opts.onReplaced();
        return;
      }
      const msgs = page.messages;
      this.absorb(msgs);
      this.hasOlderFlag = this.morePages(msgs);
      this.opts.emit('timeline', { reason: 'older' });
    } catch (err) {
      if (!this.stopped) this.opts.emit('problem', errorText(err, "Couldn't load older messages"));
    } finally {
      if (gen === this.gen) {
        this.loadingOlderFlag = false;
        this.emitOlder();
      }
    }
  }

  /** Answers still on their way are dropped. */
  stop(): void {
    this.stopped = true;
  }

  private absorb(msgs: readonly Message[]): void {
    this.opts.timeline.addMany(msgs);
    this.opts.onMessages(msgs);
  }

  /** A full page that does not start at seq 1 may have more before it. */
  private morePages(msgs: readonly Message[]): boolean {
    return msgs.length >= this.opts.pageSize && (msgs[0]?.seq ?? 1) > 1;
  }

  private setState(h: HistoryState): void {
    this.stateValue = h;
    this.opts.emit('history', h);
  }

  private emitOlder(): void {
    this.opts.emit('older', { loading: this.loadingOlderFlag, hasOlder: this.hasOlderFlag });
  }
}

function errorText(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.message;
  return fallback;
}
