// A window of a room's history opened at one message (a search result), without
// any DOM: loaded around its seq, then paged older and newer on demand. Separate
// from RoomSession's live timeline, which always ends at the room's newest message;
// the room view shows this window until the reader jumps back to the present.
import type { MessageChange } from '../protocol/changes.js';
import type { Message } from '../protocol/rest.js';
import type { Api } from './api.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { MessageTimeline } from './message-timeline.js';

export type WindowChange = 'loaded' | 'older' | 'newer' | 'state';

export interface ContextWindowEvents {
  change: WindowChange;
  problem: string;
}

export class ContextWindow {
  readonly timeline = new MessageTimeline();
  private readonly events = new Emitter<ContextWindowEvents>();
  private loadingFlag: 'initial' | 'older' | 'newer' | null = null;
  private olderFlag = false;
  private newerFlag = false;
  private errorText: string | null = null;
  private stopped = false;

  constructor(
    private readonly api: Api,
    readonly roomId: string,
    /** The message the window was opened at. */
    readonly targetSeq: number,
    private readonly pageSize = 50,
  ) {}

  get loading(): 'initial' | 'older' | 'newer' | null {
    return this.loadingFlag;
  }
  get hasOlder(): boolean {
    return this.olderFlag;
  }
  /** Whether newer messages may follow (false once a page came back short). */
  get hasNewer(): boolean {
    return this.newerFlag;
  }
  get error(): string | null {
    return this.errorText;
  }
  /** The target message, once loaded (absent if it no longer exists). */
  get target(): Message | undefined {
    return this.timeline.messages.find((m) => m.seq === this.targetSeq);
  }

  on<K extends keyof ContextWindowEvents>(
    event: K,
    fn: (data: ContextWindowEvents[K]) => void,
  ): Unsubscribe {
    return this.events.on(event, fn);
  }

  stop(): void {
    this.stopped = true;
    this.events.clear();
  }

  /**
   * A live change of the room (an edit, a delete, a reaction): applied to the
   * messages the window holds, so a search result opened in context does not
   * show what was since edited or deleted.
   */
  apply(change: MessageChange): void {
    if (this.stopped || change.room_id !== this.roomId) return;
    if (this.timeline.apply(change)) this.events.emit('change', 'state');
  }

  async load(): Promise<void> {
    await this.fetch('initial', { around: this.targetSeq, limit: this.pageSize }, (msgs) => {
      const half = Math.floor(this.pageSize / 2);
      const first = msgs[0]?.seq ?? 1;
      const last = msgs[msgs.length - 1]?.seq ?? this.targetSeq;
      this.olderFlag = first > 1 && msgs.filter((m) => m.seq < this.targetSeq).length >= half;
      this.newerFlag = msgs.length >= this.pageSize && last >= this.targetSeq;
      return 'loaded';
    });
  }

  async loadOlder(): Promise<void> {
    const first = this.timeline.firstSeq;
    if (!this.olderFlag || this.loadingFlag || first === undefined) return;
    await this.fetch('older', { before: first, limit: this.pageSize }, (msgs) => {
      this.olderFlag = msgs.length >= this.pageSize && (msgs[0]?.seq ?? 1) > 1;
      return 'older';
    });
  }

  async loadNewer(): Promise<void> {
    const last = this.timeline.lastSeq;
    if (!this.newerFlag || this.loadingFlag || last === undefined) return;
    await this.fetch('newer', { after: last, limit: this.pageSize }, (msgs) => {
      this.newerFlag = msgs.length >= this.pageSize;
      return 'newer';
    });
  }

  private async fetch(
    kind: 'initial' | 'older' | 'newer',
    opts: { around?: number; before?: number; after?: number; limit: number },
    settle: (msgs: Message[]) => WindowChange,
  ): Promise<void> {
    this.loadingFlag = kind;
    this.errorText = null;
    this.events.emit('change', 'state');
    try {
      const page = await this.api.messagePage(this.roomId, opts);
      if (this.stopped) return;
      this.timeline.addMany(page.messages);
      const change = settle(page.messages);
      this.loadingFlag = null;
      this.events.emit('change', change);
    } catch (err) {
      if (this.stopped) return;
      this.loadingFlag = null;
      this.errorText = err instanceof Error ? err.message : "Couldn't load messages";
      this.events.emit('problem', this.errorText);
      this.events.emit('change', 'state');
    }
  }
}
