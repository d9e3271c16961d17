// Everything about being in one room, without any DOM: it connects the ChatClient
// to the room's history (REST, merged with live messages into one gap-free
// timeline), our outgoing messages, the join/leave notices and online list, and
// typing. Views subscribe to its events (room-events.ts).
// A little over 300 lines: mostly one-line getters that keep the views' API while
// the work is in outgoing-messages.ts, room-history.ts and room-notices.ts.
import { type AttachmentInfo, messageText } from '../protocol/attachment-text.js';
import type { MessageChange, ReplyPreview } from '../protocol/changes.js';
import { CloseCode } from '../protocol/error-codes.js';
import type { ServerEvents } from '../protocol/frames.js';
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import type { Message } from '../protocol/rest.js';
import { type ContentProblem, contentProblem, normalizeContent } from '../protocol/text-rules.js';
import type { Api } from './api.js';
import type { BackoffOptions } from './backoff.js';
import { ChangeOutbox, type PendingChange } from './change-outbox.js';
import { ChatClient, type ConnectionState, type SocketFactory } from './chat-client.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { MessageTimeline } from './message-timeline.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { OutgoingChanges } from './outgoing-changes.js';
import { OutgoingMessages } from './outgoing-messages.js';
import { RECONNECT_BACKOFF } from './reconnect-schedule.js';
import type { RoomChannel, RoomChannelFactory } from './room-channel.js';
import type { HistoryState, Notice, RoomSessionEvents } from './room-events.js';
import { RoomHistory } from './room-history.js';
import { RoomNotices } from './room-notices.js';
import type { KeyValueStore } from './storage.js';
import { TypingSignal } from './typing-signal.js';
import { TypingTracker } from './typing-tracker.js';

export type {
  ConnectionNews,
  HistoryState,
  Notice,
  NoticeKind,
  RoomSessionEvents,
  SendFailure,
  TimelineChange,
} from './room-events.js';
// Lives in reconnect-schedule.ts; still importable from here, as before.
export { RECONNECT_BACKOFF };

export interface RoomSessionOptions {
  roomId: string;
  username: string;
  api: Api;
  store: KeyValueStore;
  /** Builds the WebSocket URL; `epoch` (sent with `since` only) is the history epoch of `since`. */
  wsUrl: (
    roomId: string,
    username: string,
    since: number | undefined,
    epoch?: string | undefined,
  ) => string;
  socketFactory?: SocketFactory;
  /** @default RECONNECT_BACKOFF */
  backoff?: BackoffOptions;
  /** History page size. @default 100 */
  pageSize?: number;
  /** A sent message with no echo after this long is marked failed. @default 10_000 */
  echoTimeoutMs?: number;
  /** Least time between two `typing: true` frames. @default 1_500 */
  typingThrottleMs?: number;
  maxContentLength?: number;
  /**
   * The room's connection. Default: a ChatClient of its own (`wsUrl`); the web app
   * passes a room on the tab's shared workspace socket (workspace-room-channel.ts).
   */
  channel?: RoomChannelFactory;
}

export class RoomSession {
  readonly roomId: string;
  readonly username: string;
  readonly timeline = new MessageTimeline();
  readonly outbox: Outbox;
  readonly changeOutbox: ChangeOutbox;
  readonly typing = new TypingTracker(2_000);
  private readonly events = new Emitter<RoomSessionEvents>();
  private readonly client: RoomChannel;
  private readonly roomHistory: RoomHistory;
  private readonly outgoingMessages: OutgoingMessages;
  private readonly outgoingChanges: OutgoingChanges;
  private readonly roomNotices: RoomNotices;
  private readonly typingSignal: TypingSignal;
  private readonly maxContentLength: number;
  private readonly unsubs: Unsubscribe[] = [];

  private lastState: ConnectionState = { kind: 'idle' };
  private wasOpenOnce = false;
  private deletedInfo: { message: string } | null = null;
  private stopped = false;

  constructor(opts: RoomSessionOptions) {
    this.roomId = opts.roomId;
    this.username = opts.username;
    this.maxContentLength = opts.maxContentLength ?? DEFAULT_LIMITS.maxContentLength;
    const emit = this.events.emit.bind(this.events);
    this.outbox = new Outbox(opts.store, opts.roomId, opts.username);
    this.changeOutbox = new ChangeOutbox(opts.store, opts.roomId, opts.username);
    this.roomNotices = new RoomNotices({
      username: opts.username,
      emit,
      lastSeq: () => this.timeline.lastSeq ?? 0,
    });
    this.roomHistory = new RoomHistory({
      roomId: opts.roomId,
      api: opts.api,
      timeline: this.timeline,
      pageSize: opts.pageSize ?? DEFAULT_LIMITS.defaultHistoryLimit,
      emit,
      onMessages: (msgs) => {
        for (const m of msgs) this.outgoingMessages.settle(m);
      },
      onRebuilt: (lastSeq) => this.roomNotices.clampTo(lastSeq),
      onReplaced: () => this.reload(),
    });
    this.client = opts.channel
      ? opts.channel({
          getSince: () => this.roomHistory.since(),
          getEpoch: () => this.roomHistory.epoch ?? undefined,
          prepare: () => this.roomHistory.load(),
        })
      : new ChatClient({
          url: (since) =>
            opts.wsUrl(
              opts.roomId,
              opts.username,
              since,
              since === undefined ? undefined : (this.roomHistory.epoch ?? undefined),
            ),
          getSince: () => this.roomHistory.since(),
          prepare: () => this.roomHistory.load(),
          socketFactory: opts.socketFactory,
          backoff: opts.backoff ?? RECONNECT_BACKOFF,
        });
    this.outgoingMessages = new OutgoingMessages({
      outbox: this.outbox,
      username: opts.username,
      send: (frame) => this.client.send(frame),
      isOpen: () => this.client.state.kind === 'open',
      echoTimeoutMs: opts.echoTimeoutMs ?? 10_000,
      emit,
    });
    this.outgoingChanges = new OutgoingChanges({
      outbox: this.changeOutbox,
      username: opts.username,
      send: (frame) => this.client.send(frame),
      isOpen: () => this.client.state.kind === 'open',
      emit,
    });
    this.typingSignal = new TypingSignal(
      (frame) => this.client.send(frame),
      opts.typingThrottleMs ?? 1_500,
    );
    this.wire();
  }

  /* ---------- read side ---------- */

  get state(): ConnectionState {
    return this.client.state;
  }
  get maxAttempts(): number {
    return this.client.maxAttempts;
  }
  get history(): HistoryState {
    return this.roomHistory.state;
  }
  get users(): readonly string[] {
    return this.roomNotices.users;
  }
  get notices(): readonly Notice[] {
    return this.roomNotices.notices;
  }
  get hasOlder(): boolean {
    return this.roomHistory.hasOlder;
  }
  get loadingOlder(): boolean {
    return this.roomHistory.loadingOlder;
  }
  get deleted(): { message: string } | null {
    return this.deletedInfo;
  }
  /** Outbox items of this user, oldest first. */
  get outgoing(): readonly OutboxItem[] {
    return this.outgoingMessages.items;
  }
  /** Our edits, deletes and reactions not yet confirmed, oldest first (shown at once). */
  get pendingChanges(): readonly PendingChange[] {
    return this.outgoingChanges.items;
  }
  /** Whether `clientId` is on the wire now, waiting for its echo. */
  isInflight(clientId: string): boolean {
    return this.outgoingMessages.isInflight(clientId);
  }

  on<K extends keyof RoomSessionEvents>(
    event: K,
    fn: (data: RoomSessionEvents[K]) => void,
  ): Unsubscribe {
    return this.events.on(event, fn);
  }

  /* ---------- lifecycle ---------- */

  start(): void {
    this.client.connect();
  }

  /** Reconnect by hand after the automatic attempts gave up. */
  retryConnection(): void {
    this.client.retryNow();
  }

  stop(): void {
    if (this.stopped) return;
    this.setTyping(false);
    this.stopped = true;
    this.roomHistory.stop();
    this.outgoingMessages.stop();
    this.typing.clearAll();
    for (const u of this.unsubs) u();
    this.client.close();
    this.events.clear();
  }

  /* ---------- write side ---------- */

  /**
   * Queues a message (shown as pending at once) and sends it if connected. Returns
   * the reason it was refused, or null.
   */
  send(
    text: string,
    attachments: readonly AttachmentInfo[] = [],
    replyTo?: ReplyPreview,
  ): ContentProblem | null {
    // As the server will store it, so the pending copy matches the echo.
    const content = normalizeContent(text).trim();
    // Files alone make a message; their text may be empty.
    const problem =
      attachments.length > 0 && content === ''
        ? null
        : contentProblem(content, this.maxContentLength);
    if (problem) return problem;
    this.setTyping(false);
    this.outgoingMessages.queue(content, attachments, replyTo);
    // Writing while given up is a clear sign the person wants to be connected.
    this.wakeIfGaveUp();
    return null;
  }

  /**
   * Edits one of our messages (checked like a message; an unchanged text is no
   * edit). Queued like a message: shown at once, sent now or once connected.
   */
  edit(messageId: string, text: string): ContentProblem | null {
    const content = normalizeContent(text).trim();
    const problem = contentProblem(content, this.maxContentLength);
    if (problem) return problem;
    const m = this.timeline.get(messageId);
    if (m && messageText(m.content, m.attachments) === content) return null;
    this.outgoingChanges.queue({ kind: 'edit', message_id: messageId, content });
    this.wakeIfGaveUp();
    return null;
  }

  /** Deletes a message (ours; any, for a room's owner or an admin). */
  remove(messageId: string): void {
    this.outgoingChanges.queue({ kind: 'delete', message_id: messageId });
    this.wakeIfGaveUp();
  }

  /** Adds (`on`) or takes back our reaction `emoji`. */
  react(messageId: string, emoji: string, on: boolean): void {
    this.outgoingChanges.queue({ kind: 'react', message_id: messageId, emoji, on });
    this.wakeIfGaveUp();
  }

  /**
   * Makes sure the message with `seq` is in the timeline, loading older pages as far
   * back as needed; resolves whether it is there (false: deleted, or not this room's).
   */
  async reveal(seq: number): Promise<boolean> {
    while (!this.timeline.has(seq)) {
      const first = this.timeline.firstSeq;
      if (first !== undefined && first < seq) return false;
      if (!this.roomHistory.hasOlder) return false;
      await this.roomHistory.loadOlder();
      if (this.stopped || this.timeline.firstSeq === first) return this.timeline.has(seq);
    }
    return true;
  }

  retry(clientId: string): void {
    this.outgoingMessages.retry(clientId);
    this.wakeIfGaveUp();
  }

  discard(clientId: string): void {
    this.outgoingMessages.discard(clientId);
  }

  /** Re-reads the outbox (another tab of this user changed it). */
  syncOutbox(): void {
    this.outgoingMessages.sync();
  }

  /** Re-reads the change outbox (another tab of this user changed it). */
  syncChanges(): void {
    this.outgoingChanges.sync();
  }

  /**
   * Tells the room whether we are typing. `true` is throttled (others expire it
   * after 2 s, so one every `typingThrottleMs` keeps it alive); `false` is sent once.
   */
  setTyping(active: boolean): void {
    if (!this.stopped) this.typingSignal.set(active);
  }

  loadOlder(): Promise<void> {
    return this.roomHistory.loadOlder();
  }

  /* ---------- internals ---------- */

  private wire(): void {
    const c = this.client;
    this.unsubs.push(
      c.onState((s) => this.onState(s)),
      c.on('message', (m) => this.onMessage(m)),
      c.on('change', (ch) => this.onChange(ch)),
      c.on('join', (d) => this.roomNotices.join(d)),
      c.on('leave', (d) => {
        this.typing.clear(d.username);
        this.roomNotices.leave(d);
      }),
      c.on('user_list', (d) => this.roomNotices.userList(d)),
      c.on('typing', (d) => {
        if (d.username !== this.username) this.typing.set(d.username, d.is_typing);
      }),
      c.on('error', (d) => {
        if (this.outgoingChanges.serverError(d)) return;
        if (!this.outgoingMessages.serverError(d)) this.events.emit('problem', d.message || d.code);
      }),
      c.on('room_deleted', (d) => this.onRoomDeleted(d)),
      c.on('resync', (d) => {
        // Too much was missed to replay, or our position is from a history that was
        // replaced (a restore): rebuild from REST through a fresh connection (the
        // history reloads and replaces the timeline, then we resume from its newest seq).
        this.roomHistory.resync(d.epoch);
        this.client.restart();
      }),
      this.typing.onChange((names) => this.events.emit('typing', names)),
    );
  }

  private wakeIfGaveUp(): void {
    if (this.client.state.kind === 'gave_up') this.client.retryNow();
  }

  private onMessage(m: Message): void {
    const added = this.timeline.add(m);
    const settled = this.outgoingMessages.settle(m);
    this.typing.clear(m.username);
    if (added || settled) {
      this.events.emit('timeline', { reason: 'live', own: m.username === this.username });
    }
  }

  private onChange(c: MessageChange): void {
    const applied = this.timeline.apply(c);
    const settled = this.outgoingChanges.settle(c);
    if (applied || settled) this.events.emit('timeline', { reason: 'change' });
    this.events.emit('change', c);
  }

  private onRoomDeleted(d: ServerEvents['room_deleted']): void {
    this.deletedInfo = { message: d.message || 'This room was deleted.' };
    this.outgoingMessages.dropAll();
    this.outgoingChanges.dropAll();
    this.typing.clearAll();
    this.events.emit('deleted', this.deletedInfo);
  }

  private reload(): void {
    this.roomHistory.invalidate();
    this.client.restart();
  }

  private onState(s: ConnectionState): void {
    const prev = this.lastState;
    this.lastState = s;
    if (prev.kind === 'open' && s.kind !== 'open') {
      this.outgoingMessages.connectionLost(s);
      this.outgoingChanges.connectionLost();
      this.typingSignal.reset();
      this.typing.clearAll();
      if (s.kind !== 'closed') this.events.emit('connection', 'lost');
    }
    if (s.kind === 'open') {
      if (this.wasOpenOnce) this.events.emit('connection', 'back');
      this.wasOpenOnce = true;
      this.outgoingMessages.flush();
      this.outgoingChanges.flush();
    } else if (
      s.kind === 'gave_up' &&
      !(prev.kind === 'connecting' && prev.attempt > prev.maxAttempts)
    ) {
      // Once, when the quick attempts run out; not again after every slow attempt.
      this.events.emit('connection', 'gave_up');
    } else if (s.kind === 'closed' && s.code === CloseCode.INVALID_USERNAME) {
      this.events.emit('problem', s.reason || 'The server did not accept this username.');
    }
    this.events.emit('state', s);
  }
}
