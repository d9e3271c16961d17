// The tab's one WebSocket (`/ws/workspace`): it carries every room of the sidebar.
// Rooms not on screen are watched (no presence: messages and changes only, for the
// counts and notifications); the room on screen is a RoomChannel
// (workspace-room-channel.ts) that resumes with since/epoch and is present. The
// socket itself is a ChatClient, so it keeps the never-give-up reconnect schedule;
// after every reconnect each room subscribes again.
import type { BackoffOptions } from './backoff.js';
import { ChatClient, type ConnectionState, type SocketFactory } from './chat-client.js';
import { Emitter, type Unsubscribe } from './emitter.js';

/** Any frame of the workspace socket, as sent: `type`, `data`, maybe `room_id`. */
export interface WorkspaceFrame {
  type: string;
  room_id?: string;
  data: Record<string, unknown>;
}

export interface WorkspaceSocketOptions {
  /** The full `ws(s)://…/ws/workspace?…` URL. */
  url: () => string;
  backoff?: BackoffOptions;
  socketFactory?: SocketFactory;
}

interface WorkspaceEvents {
  /** A frame that is not about one room (hello, room list, sidebar, read state). */
  frame: WorkspaceFrame;
  state: ConnectionState;
}

/** The room a frame is about: `room_id` next to `type`, else in `data`. */
export function frameRoom(frame: WorkspaceFrame): string | undefined {
  if (typeof frame.room_id === 'string') return frame.room_id;
  const inData = frame.data.room_id;
  return typeof inData === 'string' ? inData : undefined;
}

export class WorkspaceSocket {
  private readonly client: ChatClient;
  private readonly events = new Emitter<WorkspaceEvents>();
  /** Per room: listeners of its frames (the channel of the room on screen, the counts). */
  private readonly roomListeners = new Map<string, Set<(f: WorkspaceFrame) => void>>();
  /** Rooms watched without presence (the sidebar). */
  private readonly watched = new Set<string>();
  /** Rooms a channel holds (subscribed by the channel itself, with presence). */
  private readonly held = new Map<string, () => void>();
  /** Subscribes sent and not yet answered with `subscribed`, per room. */
  private readonly pending = new Map<string, number>();
  private readonly unsubs: Unsubscribe[] = [];

  constructor(opts: WorkspaceSocketOptions) {
    this.client = new ChatClient({
      url: () => opts.url(),
      backoff: opts.backoff,
      socketFactory: opts.socketFactory,
    });
    this.unsubs.push(
      this.client.onFrame((f) => this.route(f as unknown as WorkspaceFrame)),
      this.client.onState((s) => this.onState(s)),
    );
  }

  get state(): ConnectionState {
    return this.client.state;
  }
  get maxAttempts(): number {
    return this.client.maxAttempts;
  }
  get isOpen(): boolean {
    return this.client.state.kind === 'open';
  }

  start(): void {
    this.client.connect();
  }

  retryNow(): void {
    this.client.retryNow();
  }

  stop(): void {
    for (const u of this.unsubs) u();
    this.client.close();
    this.events.clear();
    this.roomListeners.clear();
  }

  on<K extends keyof WorkspaceEvents>(
    event: K,
    fn: (data: WorkspaceEvents[K]) => void,
  ): Unsubscribe {
    return this.events.on(event, fn);
  }

  /** Listens to the frames of one room (whatever subscribed it). */
  onRoom(roomId: string, fn: (f: WorkspaceFrame) => void): Unsubscribe {
    let set = this.roomListeners.get(roomId);
    if (!set) {
      set = new Set();
      this.roomListeners.set(roomId, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.roomListeners.get(roomId) === set) {
        this.roomListeners.delete(roomId);
      }
    };
  }

  /** Watches these rooms (and no others) without presence; the held room stays as it is. */
  watch(roomIds: Iterable<string>): void {
    const next = new Set(roomIds);
    for (const id of this.watched) {
      if (!next.has(id) && !this.held.has(id)) this.sendFrame({ type: 'unsubscribe', room_id: id });
    }
    for (const id of next) {
      if (!this.watched.has(id) && !this.held.has(id)) this.subscribe(id, {});
    }
    this.watched.clear();
    for (const id of next) this.watched.add(id);
  }

  /**
   * A channel takes the room over (it subscribes with since/epoch and presence).
   * `resubscribe` is called again after every reconnect. Returns the release.
   */
  hold(roomId: string, resubscribe: () => void): () => void {
    this.held.set(roomId, resubscribe);
    return () => {
      if (this.held.get(roomId) !== resubscribe) return;
      this.held.delete(roomId);
      // Back to watching (a subscribe again only changes presence), or gone.
      if (this.watched.has(roomId)) this.subscribe(roomId, { presence: false });
      else this.sendFrame({ type: 'unsubscribe', room_id: roomId });
    };
  }

  /** Sends `subscribe`; its `subscribed` answer is counted, so a channel knows which is its own. */
  subscribe(
    roomId: string,
    opts: { since?: number; epoch?: string; presence?: boolean; fresh?: boolean },
  ): boolean {
    if (!this.isOpen) return false;
    // A resume must replay: a subscription still open on the server would only
    // change presence, so it is dropped first.
    if (opts.fresh) this.sendFrame({ type: 'unsubscribe', room_id: roomId });
    const frame: Record<string, unknown> = { type: 'subscribe', room_id: roomId };
    if (opts.since !== undefined) {
      frame.since = opts.since;
      if (opts.epoch !== undefined) frame.epoch = opts.epoch;
    }
    if (opts.presence !== undefined) frame.presence = opts.presence;
    const sent = this.sendFrame(frame);
    if (sent) this.pending.set(roomId, (this.pending.get(roomId) ?? 0) + 1);
    return sent;
  }

  /** Subscribes not yet answered for this room. */
  pendingFor(roomId: string): number {
    return this.pending.get(roomId) ?? 0;
  }

  /** Sends a frame if the socket is open; returns whether it was sent. */
  sendFrame(frame: object): boolean {
    return this.client.sendJson(frame);
  }

  private route(frame: WorkspaceFrame): void {
    const roomId = frame.type === 'hello' ? undefined : frameRoom(frame);
    if (frame.type === 'subscribed' && roomId !== undefined) {
      const n = (this.pending.get(roomId) ?? 1) - 1;
      if (n > 0) this.pending.set(roomId, n);
      else this.pending.delete(roomId);
    }
    if (roomId !== undefined) {
      const set = this.roomListeners.get(roomId);
      if (set) for (const fn of [...set]) fn(frame);
    }
    this.events.emit('frame', frame);
  }

  private onState(s: ConnectionState): void {
    if (s.kind !== 'open') this.pending.clear();
    if (s.kind === 'open') {
      for (const id of this.watched) if (!this.held.has(id)) this.subscribe(id, {});
      for (const resubscribe of [...this.held.values()]) resubscribe();
    }
    this.events.emit('state', s);
  }
}
