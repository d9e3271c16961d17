// Everything about being in one room, without any DOM: history (REST) plus live
// messages (WebSocket) merged into one gap-free timeline, presence, typing, and the
// outbox of messages not yet confirmed. Views subscribe to its events.
import { CloseCode, ErrorCode } from '../protocol/error-codes.js';
import type { ServerEvents } from '../protocol/frames.js';
import { DEFAULT_LIMITS } from '../protocol/limits.js';
import type { Message } from '../protocol/rest.js';
import { type ContentProblem, contentProblem, normalizeContent } from '../protocol/text-rules.js';
import { type Api, ApiError } from './api.js';
import type { BackoffOptions } from './backoff.js';
import {
  ChatClient,
  type ConnectionState,
  FatalConnectError,
  type SocketFactory,
} from './chat-client.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { MessageTimeline } from './message-timeline.js';
import { Outbox, type OutboxItem } from './outbox.js';
import type { KeyValueStore } from './storage.js';
import { TypingTracker } from './typing-tracker.js';

export type NoticeKind = 'join' | 'leave' | 'info';

/** A line in the timeline that is not a message (join, leave, connection news). */
export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  /** Shown after the message with this seq (0: before all). */
  afterSeq: number;
  at: Date;
}

export type HistoryState =
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; message: string }
  | { kind: 'not_found' };

/** What changed in the timeline, so the view can decide about scrolling. */
export type TimelineChange =
  | { reason: 'history' }
  | { reason: 'older' }
  | { reason: 'live'; own: boolean }
  | { reason: 'pending'; own: boolean }
  | { reason: 'notice' };

export interface RoomSessionEvents {
  timeline: TimelineChange;
  users: readonly string[];
  typing: readonly string[];
  state: ConnectionState;
  history: HistoryState;
  older: { loading: boolean; hasOlder: boolean };
  /** A problem worth a short notice (not tied to one of our messages). */
  problem: string;
  deleted: { message: string };
  /** Text for the screen-reader live region. */
  announce: string;
}

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
}

/**
 * Reconnection schedule of the web client: about 1, 2, 4, 8 and 10 s (±50 %), so
 * five quick attempts cover a server restart of ~25 s. Starting at 100 ms (the
 * Backoff default) would spend all five attempts in ~3 s, shorter than a typical
 * restart. After them a tab keeps trying every 30–60 s (evenly spread, so a long
 * outage does not end in a stampede) for as long as it is open: a tab left alone
 * must not stay "Disconnected" for ever after an outage.
 */
export const RECONNECT_BACKOFF: BackoffOptions = {
  min: 1_000,
  max: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: 5,
  slowMin: 30_000,
  slowMax: 60_000,
};

/** Error codes the server sends in answer to one of our message frames. */
const MESSAGE_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_CONTENT,
  ErrorCode.CONTENT_TOO_LONG,
  ErrorCode.STORE_FAILED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.INVALID_FRAME,
]);

function failureText(code: string, fallback: string): string {
  switch (code) {
    case ErrorCode.CONTENT_TOO_LONG:
      return 'Too long to send';
    case ErrorCode.RATE_LIMITED:
      return 'Sending too fast';
    case ErrorCode.STORE_FAILED:
      return "The server couldn't save it";
    case ErrorCode.INVALID_CONTENT:
      return 'The server rejected it';
    default:
      return fallback || 'Not sent';
  }
}

export class RoomSession {
  readonly roomId: string;
  readonly username: string;
  readonly timeline = new MessageTimeline();
  readonly outbox: Outbox;
  readonly typing = new TypingTracker(2_000);
  private readonly events = new Emitter<RoomSessionEvents>();
  private readonly client: ChatClient;
  private readonly api: Api;
  private readonly pageSize: number;
  private readonly echoTimeoutMs: number;
  private readonly typingThrottleMs: number;
  private readonly maxContentLength: number;
  private readonly unsubs: Unsubscribe[] = [];

  private noticeList: Notice[] = [];
  private nextNoticeId = 1;
  private userList: string[] = [];
  /** Everyone seen online before, so reconnect storms don't fill the log with joins. */
  private knownUsers = new Set<string>();
  private historyState: HistoryState = { kind: 'loading' };
  private historyLoaded = false;
  /** The history epoch our seqs belong to (from the server), null while unknown. */
  private epoch: string | null = null;
  /** Bumped whenever the timeline is rebuilt, to drop stale "load older" answers. */
  private historyGen = 0;
  private hasOlderFlag = false;
  private loadingOlderFlag = false;
  /** Messages sent on the current connection and not yet echoed, in send order. */
  private readonly inflight = new Map<string, ReturnType<typeof setTimeout>>();
  private lastState: ConnectionState = { kind: 'idle' };
  private wasOpenOnce = false;
  private typingSentAt = 0;
  private typingActive = false;
  private deletedInfo: { message: string } | null = null;
  private stopped = false;

  constructor(opts: RoomSessionOptions) {
    this.roomId = opts.roomId;
    this.username = opts.username;
    this.api = opts.api;
    this.pageSize = opts.pageSize ?? DEFAULT_LIMITS.defaultHistoryLimit;
    this.echoTimeoutMs = opts.echoTimeoutMs ?? 10_000;
    this.typingThrottleMs = opts.typingThrottleMs ?? 1_500;
    this.maxContentLength = opts.maxContentLength ?? DEFAULT_LIMITS.maxContentLength;
    this.outbox = new Outbox(opts.store, opts.roomId, opts.username);
    this.client = new ChatClient({
      url: (since) =>
        opts.wsUrl(
          opts.roomId,
          opts.username,
          since,
          since === undefined ? undefined : (this.epoch ?? undefined),
        ),
      getSince: () => (this.historyLoaded ? (this.timeline.lastSeq ?? 0) : undefined),
      prepare: () => this.prepare(),
      socketFactory: opts.socketFactory,
      backoff: opts.backoff ?? RECONNECT_BACKOFF,
    });
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
    return this.historyState;
  }
  get users(): readonly string[] {
    return this.userList;
  }
  get notices(): readonly Notice[] {
    return this.noticeList;
  }
  get hasOlder(): boolean {
    return this.hasOlderFlag;
  }
  get loadingOlder(): boolean {
    return this.loadingOlderFlag;
  }
  get deleted(): { message: string } | null {
    return this.deletedInfo;
  }
  /** Outbox items of this user, oldest first. */
  get outgoing(): readonly OutboxItem[] {
    return this.outbox.items();
  }
  /** Whether `clientId` is on the wire now, waiting for its echo. */
  isInflight(clientId: string): boolean {
    return this.inflight.has(clientId);
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
    for (const t of this.inflight.values()) clearTimeout(t);
    this.inflight.clear();
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
  send(text: string): ContentProblem | null {
    // As the server will store it, so the pending copy matches the echo.
    const content = normalizeContent(text).trim();
    const problem = contentProblem(content, this.maxContentLength);
    if (problem) return problem;
    this.setTyping(false);
    const item = this.outbox.add(content);
    this.events.emit('timeline', { reason: 'pending', own: true });
    this.transmit(item);
    // Writing while given up is a clear sign the person wants to be connected.
    if (this.client.state.kind === 'gave_up') this.client.retryNow();
    return null;
  }

  retry(clientId: string): void {
    this.outbox.markPending(clientId);
    this.events.emit('timeline', { reason: 'pending', own: false });
    const item = this.outbox.get(clientId);
    if (item) this.transmit(item);
    if (this.client.state.kind === 'gave_up') this.client.retryNow();
  }

  discard(clientId: string): void {
    this.clearInflight(clientId);
    if (this.outbox.remove(clientId)) {
      this.events.emit('timeline', { reason: 'pending', own: false });
    }
  }

  /** Re-reads the outbox (another tab of this user changed it). */
  syncOutbox(): void {
    this.outbox.reload();
    this.events.emit('timeline', { reason: 'pending', own: false });
    this.flush();
  }

  /**
   * Tells the room whether we are typing. `true` is throttled (others expire it
   * after 2 s, so one every `typingThrottleMs` keeps it alive); `false` is sent once.
   */
  setTyping(active: boolean): void {
    if (this.stopped) return;
    const now = Date.now();
    if (active) {
      if (this.typingActive && now - this.typingSentAt < this.typingThrottleMs) return;
      if (this.client.send({ type: 'typing', is_typing: true })) {
        this.typingActive = true;
        this.typingSentAt = now;
      }
    } else if (this.typingActive) {
      this.typingActive = false;
      this.typingSentAt = 0;
      this.client.send({ type: 'typing', is_typing: false });
    }
  }

  async loadOlder(): Promise<void> {
    const first = this.timeline.firstSeq;
    if (this.loadingOlderFlag || !this.hasOlderFlag || first === undefined) return;
    const gen = this.historyGen;
    this.loadingOlderFlag = true;
    this.emitOlder();
    try {
      const page = await this.api.messagePage(this.roomId, { limit: this.pageSize, before: first });
      if (gen !== this.historyGen || this.stopped) return;
      if (page.epoch !== null && this.epoch !== null && page.epoch !== this.epoch) {
        // The history was replaced (a restore): this page belongs to another one.
        this.reload();
        return;
      }
      const msgs = page.messages;
      this.absorb(msgs);
      this.hasOlderFlag = msgs.length >= this.pageSize && (msgs[0]?.seq ?? 1) > 1;
      this.events.emit('timeline', { reason: 'older' });
    } catch (err) {
      if (!this.stopped)
        this.events.emit('problem', errorText(err, "Couldn't load older messages"));
    } finally {
      if (gen === this.historyGen) {
        this.loadingOlderFlag = false;
        this.emitOlder();
      }
    }
  }

  /* ---------- internals ---------- */

  private wire(): void {
    const c = this.client;
    this.unsubs.push(
      c.onState((s) => this.onState(s)),
      c.on('message', (m) => this.onMessage(m)),
      c.on('join', (d) => this.onJoin(d)),
      c.on('leave', (d) => this.onLeave(d)),
      c.on('user_list', (d) => this.onUserList(d)),
      c.on('typing', (d) => {
        if (d.username !== this.username) this.typing.set(d.username, d.is_typing);
      }),
      c.on('error', (d) => this.onError(d)),
      c.on('room_deleted', (d) => this.onRoomDeleted(d)),
      c.on('resync', (d) => this.onResync(d)),
      this.typing.onChange((names) => this.events.emit('typing', names)),
    );
  }

  /** Runs before every connection attempt: loads history the first time (or after a resync). */
  private async prepare(): Promise<void> {
    if (this.historyLoaded) return;
    this.setHistory({ kind: 'loading' });
    let msgs: Message[];
    try {
      const page = await this.api.messagePage(this.roomId, { limit: this.pageSize });
      msgs = page.messages;
      // Without the header (an older server, a proxy), the last resync's epoch stands.
      this.epoch = page.epoch ?? this.epoch;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.setHistory({ kind: 'not_found' });
        throw new FatalConnectError(CloseCode.ROOM_NOT_FOUND, 'Room not found');
      }
      this.setHistory({ kind: 'error', message: errorText(err, "Couldn't load messages") });
      throw err;
    }
    if (this.stopped) return;
    // A reload replaces what we had: the new window may not touch the old one.
    this.historyGen++;
    this.timeline.clear();
    this.loadingOlderFlag = false;
    this.absorb(msgs);
    // After a restore the room may end before notices we placed: keep them at the end.
    const end = this.timeline.lastSeq ?? 0;
    for (const n of this.noticeList) if (n.afterSeq > end) n.afterSeq = end;
    this.hasOlderFlag = msgs.length >= this.pageSize && (msgs[0]?.seq ?? 1) > 1;
    this.historyLoaded = true;
    this.setHistory({ kind: 'ready' });
    this.emitOlder();
    this.events.emit('timeline', { reason: 'history' });
  }

  /** Adds messages from REST; any that confirm an outbox item settle it. */
  private absorb(msgs: readonly Message[]): void {
    this.timeline.addMany(msgs);
    for (const m of msgs) this.settle(m);
  }

  private settle(m: Message): boolean {
    if (m.client_id === undefined || m.username !== this.username) return false;
    this.clearInflight(m.client_id);
    return this.outbox.remove(m.client_id);
  }

  private onMessage(m: Message): void {
    const added = this.timeline.add(m);
    const settled = this.settle(m);
    this.typing.clear(m.username);
    if (added || settled) {
      this.events.emit('timeline', { reason: 'live', own: m.username === this.username });
    }
  }

  private onJoin(d: ServerEvents['join']): void {
    const seen = this.knownUsers.has(d.username);
    this.knownUsers.add(d.username);
    if (seen) return;
    this.addNotice('join', d.message || `${d.username} joined the room`);
  }

  private onLeave(d: ServerEvents['leave']): void {
    this.typing.clear(d.username);
    this.knownUsers.delete(d.username);
    if (d.username === this.username) return;
    this.addNotice('leave', d.message || `${d.username} left the room`);
  }

  private onUserList(d: ServerEvents['user_list']): void {
    const users = [...new Set(d.users)].sort((a, b) =>
      a.localeCompare(b, undefined, { sensitivity: 'base' }),
    );
    this.userList = users;
    this.knownUsers = new Set(users);
    this.events.emit('users', users);
  }

  private onError(d: ServerEvents['error']): void {
    if (MESSAGE_ERRORS.has(d.code)) {
      // The server names the failed message when it can; a rate-limit error cannot
      // be tied to one (the frame was not read), so the echo timeout handles it.
      const target =
        d.client_id !== undefined
          ? this.inflight.has(d.client_id)
            ? d.client_id
            : undefined
          : d.code === ErrorCode.RATE_LIMITED
            ? undefined
            : this.inflight.keys().next().value;
      if (target !== undefined) {
        this.clearInflight(target);
        this.outbox.markFailed(target, failureText(d.code, d.message));
        this.events.emit('timeline', { reason: 'pending', own: false });
        this.events.emit('announce', `Message not sent: ${failureText(d.code, d.message)}`);
        return;
      }
    }
    this.events.emit('problem', d.message || d.code);
  }

  private onRoomDeleted(d: ServerEvents['room_deleted']): void {
    this.deletedInfo = { message: d.message || 'This room was deleted.' };
    this.outbox.destroy();
    this.typing.clearAll();
    this.events.emit('deleted', this.deletedInfo);
    this.events.emit('announce', 'This room was deleted.');
  }

  private onResync(d: ServerEvents['resync']): void {
    // Too much was missed to replay, or our position is from a history that was
    // replaced (a restore): rebuild from REST through a fresh connection (prepare()
    // reloads and replaces the timeline, then we resume from its newest seq).
    if (typeof d.epoch === 'string') this.epoch = d.epoch;
    this.reload();
  }

  private reload(): void {
    this.historyLoaded = false;
    this.client.restart();
  }

  private onState(s: ConnectionState): void {
    const prev = this.lastState;
    this.lastState = s;
    if (prev.kind === 'open' && s.kind !== 'open') {
      if ((s.kind === 'waiting' || s.kind === 'gave_up') && s.code === CloseCode.MESSAGE_TOO_BIG) {
        this.failLargestInflight();
      }
      for (const t of this.inflight.values()) clearTimeout(t);
      this.inflight.clear();
      this.typingActive = false;
      this.typing.clearAll();
      if (s.kind !== 'closed') this.events.emit('announce', 'Connection lost. Reconnecting…');
    }
    if (s.kind === 'open') {
      if (this.wasOpenOnce) this.events.emit('announce', 'Reconnected.');
      this.wasOpenOnce = true;
      this.flush();
    } else if (
      s.kind === 'gave_up' &&
      !(prev.kind === 'connecting' && prev.attempt > prev.maxAttempts)
    ) {
      // Once, when the quick attempts run out; not again after every slow attempt.
      this.events.emit('announce', 'Disconnected. Still trying; use Retry to reconnect now.');
    } else if (s.kind === 'closed' && s.code === CloseCode.INVALID_USERNAME) {
      this.events.emit('problem', s.reason || 'The server did not accept this username.');
    }
    this.events.emit('state', s);
  }

  /** Sends every pending outbox item not already on the wire. */
  private flush(): void {
    if (this.client.state.kind !== 'open') return;
    for (const item of this.outbox.pending()) this.transmit(item);
  }

  private transmit(item: OutboxItem): void {
    if (item.status !== 'pending' || this.inflight.has(item.client_id)) return;
    const sent = this.client.send({
      type: 'message',
      content: item.content,
      client_id: item.client_id,
    });
    if (!sent) return;
    const timer = setTimeout(() => {
      this.inflight.delete(item.client_id);
      this.outbox.markFailed(item.client_id, 'No confirmation from the server');
      this.events.emit('timeline', { reason: 'pending', own: false });
    }, this.echoTimeoutMs);
    this.inflight.set(item.client_id, timer);
  }

  private clearInflight(clientId: string): void {
    const t = this.inflight.get(clientId);
    if (t === undefined) return;
    clearTimeout(t);
    this.inflight.delete(clientId);
  }

  /** After a 1009 close, the biggest message on the wire is the culprit: don't resend it. */
  private failLargestInflight(): void {
    let worst: OutboxItem | undefined;
    for (const id of this.inflight.keys()) {
      const item = this.outbox.get(id);
      if (item && (!worst || item.content.length > worst.content.length)) worst = item;
    }
    if (worst) {
      this.outbox.markFailed(worst.client_id, 'Too large for the server');
      this.events.emit('timeline', { reason: 'pending', own: false });
    }
  }

  private addNotice(kind: NoticeKind, text: string): void {
    this.noticeList.push({
      id: this.nextNoticeId++,
      kind,
      text,
      afterSeq: this.timeline.lastSeq ?? 0,
      at: new Date(),
    });
    // A long-lived tab must not grow without bound.
    if (this.noticeList.length > 500) this.noticeList.splice(0, this.noticeList.length - 500);
    this.events.emit('timeline', { reason: 'notice' });
    this.events.emit('announce', text);
  }

  private setHistory(h: HistoryState): void {
    this.historyState = h;
    this.events.emit('history', h);
  }

  private emitOlder(): void {
    this.events.emit('older', { loading: this.loadingOlderFlag, hasOlder: this.hasOlderFlag });
  }
}

function errorText(err: unknown, fallback: string): string {
  if (err instanceof ApiError) return err.message;
  return fallback;
}
