// Everything of one signed-in tab that outlives a room on screen: the shared
// workspace socket, the sidebar (rooms you are in, read positions, counts) and the
// pushed room list. Room sessions get their connection from `channel()`.
import type { Api } from './api.js';
import type { BackoffOptions } from './backoff.js';
import type { ConnectionState } from './chat-client.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import type { RoomChannelFactory } from './room-channel.js';
import { SidebarRooms } from './sidebar-rooms.js';
import { WorkspaceRoomChannel } from './workspace-room-channel.js';
import { type WorkspaceFrame, WorkspaceSocket } from './workspace-socket.js';

export interface WorkspaceOptions {
  api: Api;
  username: string;
  /** Open mode: the reader is named in the URLs. */
  openMode: boolean;
  backoff?: BackoffOptions;
}

interface WorkspaceEvents {
  /** The list of rooms anyone may see changed (room browser). */
  rooms: WorkspaceFrame;
  state: ConnectionState;
}

const ROOM_LIST_FRAMES = new Set(['room_created', 'room_updated', 'room_removed']);
/**
 * After a `refresh` (the server lost some pushed frames), tabs read their lists
 * again at a random moment within this: a process's every tab gets it at once.
 */
const REFRESH_SPREAD_MS = 3_000;
const SIDEBAR_FRAMES = new Set([
  'sidebar_added',
  'sidebar_removed',
  'room_updated',
  'room_removed',
  'read_state',
  'message',
  'change',
]);

export class Workspace {
  readonly socket: WorkspaceSocket;
  readonly sidebar: SidebarRooms;
  private readonly events = new Emitter<WorkspaceEvents>();
  private readonly unsubs: Unsubscribe[] = [];
  /** Settles when the sidebar was first read (or could not be). */
  ready: Promise<void> = Promise.resolve();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: WorkspaceOptions) {
    this.socket = new WorkspaceSocket({ url: () => this.url(), backoff: opts.backoff });
    this.sidebar = new SidebarRooms({
      api: opts.api,
      username: opts.username,
      openMode: opts.openMode,
    });
    this.unsubs.push(
      this.socket.on('frame', (f) => {
        if (f.type === 'refresh') this.refreshSoon(f);
        if (SIDEBAR_FRAMES.has(f.type)) this.sidebar.apply(f);
        if (ROOM_LIST_FRAMES.has(f.type)) this.events.emit('rooms', f);
      }),
      this.socket.on('state', (s) => {
        // What happened while we were away is only on the server: read it again.
        if (s.kind === 'open') void this.sidebar.load().catch(() => undefined);
        this.events.emit('state', s);
      }),
      this.sidebar.on('change', () => this.socket.watch(this.sidebar.ids)),
    );
  }

  get username(): string {
    return this.opts.username;
  }

  start(): void {
    this.ready = this.sidebar.load().catch(() => undefined);
    this.socket.start();
  }

  stop(): void {
    clearTimeout(this.refreshTimer);
    for (const u of this.unsubs) u();
    this.sidebar.stop();
    this.socket.stop();
    this.events.clear();
  }

  on<K extends keyof WorkspaceEvents>(event: K, fn: (d: WorkspaceEvents[K]) => void): Unsubscribe {
    return this.events.on(event, fn);
  }

  /** Reads the sidebar and (for the room browser) the room list again, soon. */
  private refreshSoon(frame: WorkspaceFrame): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.sidebar.load().catch(() => undefined);
      this.events.emit('rooms', frame);
    }, Math.random() * REFRESH_SPREAD_MS);
  }

  /** The connection of a room session on this tab's socket. */
  readonly channel = (roomId: string): RoomChannelFactory => {
    return (hooks) => new WorkspaceRoomChannel(this.socket, roomId, hooks);
  };

  /** Rooms marked unread by hand: reading them on screen waits until they are opened again. */
  private readonly keptUnread = new Set<string>();

  /** Whether messages on screen in this room may mark it read now. */
  autoRead(roomId: string): boolean {
    return !this.keptUnread.has(roomId);
  }

  /** The room was opened (again): reading it counts again. */
  opened(roomId: string): void {
    this.keptUnread.delete(roomId);
  }

  /** Marks unread from `seq + 1` on; the room on screen stops marking itself read. */
  markUnread(roomId: string, seq: number): void {
    this.keptUnread.add(roomId);
    this.send(roomId, seq);
  }

  /** Moves our read position in a room (all our tabs and devices follow). */
  markRead(roomId: string, seq: number): void {
    this.keptUnread.delete(roomId);
    this.send(roomId, seq);
  }

  private send(roomId: string, seq: number): void {
    const r = this.sidebar.get(roomId);
    if (!r) return;
    this.sidebar.readLocally(roomId, seq);
    if (!this.socket.sendFrame({ type: 'read', room_id: roomId, seq })) {
      void this.sidebar.putRead(roomId, seq).catch(() => undefined);
    }
  }

  private url(): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = this.opts.openMode ? `?username=${encodeURIComponent(this.opts.username)}` : '';
    return `${proto}//${location.host}/ws/workspace${q}`;
  }
}
