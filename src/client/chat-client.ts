// The browser side of the WebSocket protocol: typed events, connection state,
// reconnection by close-code range with backoff, and resume through `since`.
// Over 300 lines: one state machine (connecting, open, waiting, gave up, closed)
// whose transitions belong together.

import type { MessageChange } from '../protocol/changes.js';
import { CloseCode, reconnectPolicy } from '../protocol/error-codes.js';
import type { ServerFrame } from '../protocol/frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import type { LiveServerEvents, OutgoingFrame } from './live-types.js';

/** Where a {@link ChatClient} stands. */
export type ConnectionState =
  /** Not started yet, or stopped by `close()`. */
  | { kind: 'idle' }
  /**
   * Opening a connection; `attempt` is 0 for the first one, else the retry number
   * (above `maxAttempts` for the slow attempts after the quick ones failed).
   */
  | { kind: 'connecting'; attempt: number; maxAttempts: number }
  | { kind: 'open' }
  /** Lost; the next attempt starts at `retryAt` (epoch ms). */
  | {
      kind: 'waiting';
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      retryAt: number;
      code: number;
    }
  /**
   * The quick attempts failed. With a slow schedule (see `BackoffOptions.slowMin`)
   * the next slow attempt starts at `retryAt` (epoch ms), and so on for ever;
   * without one nothing more happens. `retryNow()` starts quick attempts again.
   */
  | { kind: 'gave_up'; code: number; reason: string; retryAt?: number }
  /** Closed for good by the server (40xx): the request itself is wrong. */
  | { kind: 'closed'; code: number; reason: string };

export type ConnectionStateKind = ConnectionState['kind'];

/** The subset of the DOM WebSocket this client uses (so tests can pass a fake). */
export interface SocketLike {
  readonly readyState: number;
  binaryType?: BinaryType;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;

/** Thrown by `prepare` to stop for good instead of retrying (e.g. the room is gone). */
export class FatalConnectError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'FatalConnectError';
  }
}

export interface ChatClientOptions {
  /** Builds the connect URL; `since` is the resume point (undefined: live only). */
  url: (since: number | undefined) => string;
  /** Called before every attempt to get the resume point. */
  getSince?: () => number | undefined;
  /**
   * Runs before every attempt (e.g. loads history over REST). A rejection counts as a
   * failed attempt; a {@link FatalConnectError} stops reconnecting.
   */
  prepare?: () => Promise<void>;
  backoff?: BackoffOptions;
  /** @default (url) => new WebSocket(url) */
  socketFactory?: SocketFactory;
  /** A socket still not open after this long is dropped and retried. @default 10_000 */
  connectTimeoutMs?: number;
  /**
   * The attempt counter resets once a connection has stayed open this long, so a
   * server that accepts and then drops at once cannot make us retry forever. @default 2_000
   */
  stableAfterMs?: number;
}

const OPEN = 1;
/** Close code we report when the socket failed without one (network error, refused). */
const ABNORMAL = 1006;

/** Checks the outer shape of a server frame; payloads are trusted to match their type. */
export function parseServerFrame(
  text: string,
): ServerFrame | { type: 'change'; data: MessageChange } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const frame = value as { type?: unknown; data?: unknown };
  if (typeof frame.type !== 'string' || typeof frame.data !== 'object' || frame.data === null) {
    return null;
  }
  if (frame.type === 'message') {
    const m = frame.data as { seq?: unknown; id?: unknown; content?: unknown; username?: unknown };
    if (
      typeof m.seq !== 'number' ||
      typeof m.id !== 'string' ||
      typeof m.content !== 'string' ||
      typeof m.username !== 'string'
    ) {
      return null;
    }
  }
  if (frame.type === 'change') {
    const c = frame.data as { seq?: unknown; message_id?: unknown; kind?: unknown };
    if (
      typeof c.seq !== 'number' ||
      typeof c.message_id !== 'string' ||
      typeof c.kind !== 'string'
    ) {
      return null;
    }
    return value as { type: 'change'; data: MessageChange };
  }
  return value as ServerFrame;
}

/**
 * One room connection that keeps itself alive: it reconnects after a drop unless
 * the close code says not to (see `reconnectPolicy`), resumes from `getSince()` so
 * nothing is missed; after the backoff's quick attempts it keeps trying slowly
 * (if the backoff has a slow schedule) or gives up.
 */
export class ChatClient {
  private readonly events = new Emitter<LiveServerEvents>();
  private readonly stateEvents = new Emitter<{ state: ConnectionState }>();
  /** Every frame whole, before the typed events (the workspace socket routes by `room_id`). */
  private readonly frameEvents = new Emitter<{ frame: ServerFrame }>();
  private readonly backoff: Backoff;
  private readonly socketFactory: SocketFactory;
  private socket: SocketLike | null = null;
  private current: ConnectionState = { kind: 'idle' };
  /** Bumped for every attempt; callbacks of older attempts are ignored. */
  private generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  private roomDeleted = false;

  constructor(private readonly opts: ChatClientOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.socketFactory = opts.socketFactory ?? ((url) => new WebSocket(url));
  }

  get state(): ConnectionState {
    return this.current;
  }

  get maxAttempts(): number {
    return this.backoff.maxAttempts;
  }

  /** Subscribes to one server frame type; returns the unsubscribe function. */
  on<K extends keyof LiveServerEvents>(
    type: K,
    fn: (data: LiveServerEvents[K]) => void,
  ): Unsubscribe {
    return this.events.on(type, fn);
  }

  /** Subscribes to every server frame, whole (with fields next to `type`, such as `room_id`). */
  onFrame(fn: (frame: ServerFrame) => void): Unsubscribe {
    return this.frameEvents.on('frame', fn);
  }

  onState(fn: (state: ConnectionState) => void): Unsubscribe {
    return this.stateEvents.on('state', fn);
  }

  /** Starts connecting, unless already connecting or open. */
  connect(): void {
    if (this.current.kind === 'connecting' || this.current.kind === 'open') return;
    if (this.current.kind === 'closed') return;
    this.clearRetry();
    void this.attempt();
  }

  /** Manual retry: forgets earlier failures and connects now. */
  retryNow(): void {
    if (this.current.kind === 'open' || this.current.kind === 'connecting') return;
    if (this.current.kind === 'closed') return;
    this.backoff.reset();
    this.clearRetry();
    void this.attempt();
  }

  /** Drops the current connection and starts a fresh attempt at once (e.g. after a resync). */
  restart(): void {
    if (this.current.kind === 'closed' || this.current.kind === 'idle') return;
    this.dropSocket('restart');
    void this.attempt();
  }

  /** Forgets the current socket (its late events are ignored) and closes it. */
  private dropSocket(reason: string): void {
    this.generation++;
    this.clearRetry();
    this.clearTimers();
    const ws = this.socket;
    this.socket = null;
    if (!ws) return;
    detach(ws);
    try {
      ws.close(1000, reason);
    } catch {
      // already closed
    }
  }

  /** Sends a frame if the connection is open; returns whether it was sent. */
  send(frame: OutgoingFrame): boolean {
    return this.sendJson(frame);
  }

  /** Sends any JSON frame (the workspace socket's own frames, `room_id` added) if open. */
  sendJson(frame: object): boolean {
    const ws = this.socket;
    if (!ws || this.current.kind !== 'open' || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** Stops for good (leaving the room). */
  close(): void {
    this.dropSocket('leaving');
    this.setState({ kind: 'idle' });
    this.events.clear();
    this.stateEvents.clear();
    this.frameEvents.clear();
  }

  private async attempt(): Promise<void> {
    const gen = ++this.generation;
    this.setState({
      kind: 'connecting',
      attempt: this.backoff.attempts,
      maxAttempts: this.backoff.maxAttempts,
    });
    if (this.opts.prepare) {
      try {
        await this.opts.prepare();
      } catch (err) {
        if (gen !== this.generation) return;
        if (err instanceof FatalConnectError) {
          this.setState({ kind: 'closed', code: err.code, reason: err.message });
          return;
        }
        this.scheduleRetry(ABNORMAL, err instanceof Error ? err.message : 'failed');
        return;
      }
      if (gen !== this.generation) return;
    }
    let ws: SocketLike;
    try {
      ws = this.socketFactory(this.opts.url(this.opts.getSince?.()));
    } catch (err) {
      this.scheduleRetry(ABNORMAL, err instanceof Error ? err.message : 'failed');
      return;
    }
    this.socket = ws;
    // Frames should be text, but a server that sends JSON as binary frames must not
    // go unheard: an ArrayBuffer decodes synchronously (a Blob would reorder frames).
    ws.binaryType = 'arraybuffer';
    this.connectTimer = setTimeout(() => {
      if (gen !== this.generation || ws.readyState === OPEN) return;
      detach(ws);
      try {
        ws.close();
      } catch {
        // ignore
      }
      this.socket = null;
      this.scheduleRetry(ABNORMAL, 'connection timed out');
    }, this.opts.connectTimeoutMs ?? 10_000);

    ws.onopen = () => {
      if (gen !== this.generation) return;
      clearTimeout(this.connectTimer);
      this.setState({ kind: 'open' });
      this.stableTimer = setTimeout(() => this.backoff.reset(), this.opts.stableAfterMs ?? 2_000);
    };
    ws.onmessage = (ev) => {
      if (gen !== this.generation) return;
      const text = frameText(ev.data);
      if (text === null) return;
      const frame = parseServerFrame(text);
      if (!frame) return;
      if (frame.type === 'room_deleted') this.roomDeleted = true;
      this.frameEvents.emit('frame', frame);
      this.events.emit(frame.type, frame.data as never);
    };
    ws.onerror = () => {
      // A close event always follows; it carries the code we act on.
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      this.socket = null;
      this.clearTimers();
      this.handleClose(ev.code || ABNORMAL, ev.reason);
    };
  }

  private handleClose(code: number, reason: string): void {
    if (this.roomDeleted) {
      this.setState({ kind: 'closed', code: CloseCode.ROOM_DELETED, reason: reason || 'deleted' });
      return;
    }
    if (reconnectPolicy(code) === 'never') {
      this.setState({ kind: 'closed', code, reason });
      return;
    }
    this.scheduleRetry(code, reason);
  }

  private scheduleRetry(code: number, reason: string): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.stableTimer);
    const policy = reconnectPolicy(code);
    const slow = this.backoff.exhausted;
    const delay = this.backoff.next();
    if (delay === null) {
      this.setState({ kind: 'gave_up', code, reason });
      return;
    }
    if (slow) {
      // Past the quick attempts: keep trying, slowly, until the server is back.
      this.setState({ kind: 'gave_up', code, reason, retryAt: Date.now() + delay });
      this.startRetryTimer(delay);
      return;
    }
    const wait = policy === 'now' ? 0 : delay;
    this.setState({
      kind: 'waiting',
      attempt: this.backoff.attempts,
      maxAttempts: this.backoff.maxAttempts,
      delayMs: wait,
      retryAt: Date.now() + wait,
      code,
    });
    this.startRetryTimer(wait);
  }

  private startRetryTimer(ms: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attempt();
    }, ms);
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private clearTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.stableTimer);
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.stateEvents.emit('state', state);
  }
}

const decoder = new TextDecoder();

function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  return null;
}

function detach(ws: SocketLike): void {
  ws.onopen = null;
  ws.onclose = null;
  ws.onerror = null;
  ws.onmessage = null;
}
