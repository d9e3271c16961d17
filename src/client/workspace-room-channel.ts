// The room on screen, over the tab's shared workspace socket: before each
// subscription it runs the session's `prepare` (history over REST), then subscribes
// with since/epoch and presence; `subscribed` makes it open. Its state follows the
// shared socket's (connecting, waiting, gave up) while that one is down, and ends
// (`closed`) when the room is deleted, gone, or we were removed from it.

import { CloseCode } from '../protocol/error-codes.js';
import type { ClientFrame, ServerEvents } from '../protocol/frames.js';
import { AuthClose } from './accounts.js';
import { Backoff } from './backoff.js';
import { type ConnectionState, FatalConnectError } from './chat-client.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import { RECONNECT_BACKOFF } from './reconnect-schedule.js';
import type { RoomChannel, RoomChannelHooks } from './room-channel.js';
import type { WorkspaceFrame, WorkspaceSocket } from './workspace-socket.js';

export class WorkspaceRoomChannel implements RoomChannel {
  private readonly events = new Emitter<ServerEvents>();
  private readonly stateEvents = new Emitter<{ state: ConnectionState }>();
  private current: ConnectionState = { kind: 'idle' };
  private active = false;
  /** Bumped on every attempt; older attempts' answers are ignored. */
  private gen = 0;
  /** The attempt waits for its own `subscribed`. */
  private awaiting = false;
  private readonly prepareBackoff = new Backoff(RECONNECT_BACKOFF);
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private release: (() => void) | null = null;
  private readonly unsubs: Unsubscribe[] = [];

  constructor(
    private readonly socket: WorkspaceSocket,
    private readonly roomId: string,
    private readonly hooks: RoomChannelHooks,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }
  get maxAttempts(): number {
    return this.socket.maxAttempts;
  }

  on<K extends keyof ServerEvents>(type: K, fn: (data: ServerEvents[K]) => void): Unsubscribe {
    return this.events.on(type, fn);
  }
  onState(fn: (state: ConnectionState) => void): Unsubscribe {
    return this.stateEvents.on('state', fn);
  }

  connect(): void {
    if (this.active) return;
    this.active = true;
    this.unsubs.push(
      this.socket.onRoom(this.roomId, (f) => this.onFrame(f)),
      this.socket.on('state', (s) => this.onSocketState(s)),
    );
    this.release = this.socket.hold(this.roomId, () => void this.attempt());
    if (this.socket.isOpen) void this.attempt();
    else {
      this.follow(this.socket.state);
      this.socket.start();
    }
  }

  retryNow(): void {
    if (!this.active || this.current.kind === 'closed') return;
    if (this.socket.isOpen) {
      if (this.current.kind !== 'open' && !this.awaiting) void this.attempt();
    } else this.socket.retryNow();
  }

  restart(): void {
    if (!this.active || this.current.kind === 'closed') return;
    if (this.socket.isOpen) void this.attempt();
  }

  send(frame: ClientFrame): boolean {
    if (this.current.kind !== 'open') return false;
    return this.socket.sendFrame({ ...frame, room_id: this.roomId });
  }

  close(): void {
    if (!this.active) return;
    this.active = false;
    this.gen++;
    clearTimeout(this.retryTimer);
    for (const u of this.unsubs) u();
    this.unsubs.length = 0;
    this.release?.();
    this.release = null;
    this.setState({ kind: 'idle' });
    this.events.clear();
    this.stateEvents.clear();
  }

  private async attempt(): Promise<void> {
    if (!this.active || this.current.kind === 'closed') return;
    const gen = ++this.gen;
    clearTimeout(this.retryTimer);
    this.awaiting = false;
    this.setState({
      kind: 'connecting',
      attempt: this.prepareBackoff.attempts,
      maxAttempts: this.socket.maxAttempts,
    });
    try {
      await this.hooks.prepare();
    } catch (err) {
      if (gen !== this.gen) return;
      if (err instanceof FatalConnectError) {
        this.setState({ kind: 'closed', code: err.code, reason: err.message });
        return;
      }
      // History did not load: try again later (the socket itself is fine).
      const delay = this.prepareBackoff.next() ?? 30_000;
      this.setState({
        kind: 'waiting',
        attempt: this.prepareBackoff.attempts,
        maxAttempts: this.socket.maxAttempts,
        delayMs: delay,
        retryAt: Date.now() + delay,
        code: 1006,
      });
      this.retryTimer = setTimeout(() => void this.attempt(), delay);
      return;
    }
    if (gen !== this.gen || !this.socket.isOpen) return;
    const since = this.hooks.getSince();
    this.awaiting = this.socket.subscribe(this.roomId, {
      since,
      epoch: since === undefined ? undefined : this.hooks.getEpoch(),
      presence: true,
      fresh: true,
    });
  }

  private onFrame(f: WorkspaceFrame): void {
    const data = f.data;
    switch (f.type) {
      case 'subscribed':
        if (this.awaiting && this.socket.pendingFor(this.roomId) === 0) {
          this.awaiting = false;
          this.prepareBackoff.reset();
          this.setState({ kind: 'open' });
        }
        return;
      case 'unsubscribed': {
        const reason = data.reason;
        if (reason === 'deleted') {
          this.end(CloseCode.ROOM_DELETED, 'deleted');
        } else if (reason === 'removed') {
          this.end(AuthClose.REMOVED_FROM_ROOM, 'removed');
        }
        return;
      }
      case 'room_deleted':
        this.events.emit('room_deleted', data as ServerEvents['room_deleted']);
        this.end(CloseCode.ROOM_DELETED, 'deleted');
        return;
      case 'error':
        // Our unsubscribe before a resume may find nothing to drop: not news.
        if (data.code === 'NOT_SUBSCRIBED' && data.client_id === undefined) return;
        this.events.emit('error', data as ServerEvents['error']);
        return;
      default:
        if (f.type in EVENT_TYPES) {
          this.events.emit(f.type as keyof ServerEvents, data as never);
        }
    }
  }

  private end(code: number, reason: string): void {
    if (this.current.kind === 'closed') return;
    this.gen++;
    this.awaiting = false;
    this.setState({ kind: 'closed', code, reason });
  }

  private onSocketState(s: ConnectionState): void {
    if (s.kind === 'open') return; // the hold's resubscribe starts the attempt
    this.gen++;
    this.awaiting = false;
    clearTimeout(this.retryTimer);
    this.follow(s);
  }

  /** While the shared socket is down, the room is as down as it is. */
  private follow(s: ConnectionState): void {
    if (this.current.kind === 'closed') return;
    if (s.kind === 'idle' || s.kind === 'open') {
      this.setState({ kind: 'connecting', attempt: 0, maxAttempts: this.socket.maxAttempts });
    } else this.setState(s);
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.stateEvents.emit('state', state);
  }
}

/** Room frames passed on to the session as they are. */
const EVENT_TYPES: Record<string, true> = {
  message: true,
  change: true,
  join: true,
  leave: true,
  user_list: true,
  typing: true,
  resync: true,
};
