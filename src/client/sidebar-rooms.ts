// The rooms you are in, with your read position and counts in each, as the server
// keeps them (GET /api/chat/me/rooms), kept current by the workspace socket:
// `sidebar_added`/`sidebar_removed`, `read_state` from any tab, `room_updated`/
// `room_removed`, and every `message` of a watched room (counted here at once; the
// server's counts are read again after a reconnect or a read position that moved
// back, which only it can count).
import { extractMentions, mentionsUser } from '../protocol/mentions.js';
import type { Message } from '../protocol/rest.js';
import type { NotifyLevel, SidebarRoom } from '../protocol/workspace.js';
import type { RoomInfo } from './accounts.js';
import type { Api } from './api.js';
import { Emitter, type Unsubscribe } from './emitter.js';
import type { WorkspaceFrame } from './workspace-socket.js';

export interface SidebarEvents {
  /** Anything changed (rooms, counts). */
  change: undefined;
  /** A message of a sidebar room arrived live (for notifications). */
  message: { room: SidebarRoom; message: Message; mention: boolean };
}

export interface SidebarRoomsOptions {
  api: Api;
  /** Who reads (own messages do not count, mentions are of this name). */
  username: string;
  /** Open mode names the reader in the query; accounts mode has the session. */
  openMode: boolean;
}

export class SidebarRooms {
  private readonly rooms = new Map<string, SidebarRoom>();
  private readonly events = new Emitter<SidebarEvents>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private loadedOnce = false;
  private stopped = false;
  /** Joins and leaves so far (here or pushed): a list read across one is stale. */
  private membershipEdits = 0;

  constructor(private readonly opts: SidebarRoomsOptions) {}

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** In sidebar order: by name, DMs after rooms. */
  get list(): SidebarRoom[] {
    return [...this.rooms.values()].sort(
      (a, b) =>
        Number(a.room.kind === 'dm') - Number(b.room.kind === 'dm') ||
        a.room.name.localeCompare(b.room.name, undefined, { sensitivity: 'base' }),
    );
  }

  get(roomId: string): SidebarRoom | undefined {
    return this.rooms.get(roomId);
  }

  has(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  get totalUnread(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.unread;
    return n;
  }

  get totalMentions(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.mentions;
    return n;
  }

  on<K extends keyof SidebarEvents>(event: K, fn: (d: SidebarEvents[K]) => void): Unsubscribe {
    return this.events.on(event, fn);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    this.events.clear();
  }

  /**
   * Reads the whole sidebar from the server. A room joined or left while the list
   * was on its way (opening a room by its link does both at once) would be undone
   * by that older list, so it is read again (a few times at most).
   */
  async load(): Promise<void> {
    let list: SidebarRoom[];
    for (let attempt = 1; ; attempt++) {
      const seen = this.membershipEdits;
      list = await this.opts.api.call<SidebarRoom[]>('GET', this.path('/api/chat/me/rooms'));
      if (this.stopped) return;
      if (this.membershipEdits === seen || attempt === 3) break;
    }
    this.rooms.clear();
    for (const r of list) this.rooms.set(r.room.id, r);
    this.loadedOnce = true;
    this.changed();
  }

  /** Puts a room in the sidebar (opening a room you are not in yet). */
  async join(roomId: string): Promise<void> {
    const r = await this.opts.api.call<SidebarRoom>('PUT', this.path(this.roomPath(roomId)));
    if (this.stopped) return;
    this.membershipEdits++;
    this.rooms.set(r.room.id, r);
    this.changed();
  }

  async leave(roomId: string): Promise<void> {
    await this.opts.api.call<void>('DELETE', this.path(this.roomPath(roomId)));
    if (this.stopped) return;
    this.membershipEdits++;
    this.rooms.delete(roomId);
    this.changed();
  }

  async setNotify(roomId: string, level: NotifyLevel): Promise<void> {
    await this.opts.api.call<void>('PUT', this.path(`${this.roomPath(roomId)}/notify`), { level });
    const r = this.rooms.get(roomId);
    if (r && !this.stopped) {
      r.notify = level;
      this.changed();
    }
  }

  /** Over REST (when the socket is down); the socket's `read` frame does the same. */
  async putRead(roomId: string, seq: number): Promise<void> {
    await this.opts.api.call<void>('PUT', this.path(`${this.roomPath(roomId)}/read`), { seq });
  }

  /** Our own read position moved (we sent it): counts follow at once, not a round trip later. */
  readLocally(roomId: string, seq: number): void {
    this.applyRead(roomId, seq, undefined);
  }

  /** The rooms the workspace socket should watch. */
  get ids(): string[] {
    return [...this.rooms.keys()];
  }

  /** Applies a workspace frame that concerns the sidebar. */
  apply(f: WorkspaceFrame): void {
    const d = f.data;
    switch (f.type) {
      case 'sidebar_added': {
        const r = d as unknown as SidebarRoom;
        this.membershipEdits++;
        this.rooms.set(r.room.id, r);
        this.changed();
        return;
      }
      case 'sidebar_removed':
      case 'room_removed': {
        this.membershipEdits++;
        if (this.rooms.delete(String(d.room_id))) this.changed();
        return;
      }
      case 'room_updated': {
        const room = d as unknown as RoomInfo;
        const r = this.rooms.get(room.id);
        if (r) {
          r.room = { ...r.room, ...room } as SidebarRoom['room'];
          this.changed();
        }
        return;
      }
      case 'read_state': {
        this.applyRead(String(d.room_id), Number(d.last_read_seq), d.notify as NotifyLevel);
        return;
      }
      case 'message': {
        const roomId = f.room_id;
        if (roomId !== undefined) this.count(roomId, d as unknown as Message);
        return;
      }
      case 'change': {
        // A deleted or edited message may change the counts; only the server knows by how much.
        const roomId = f.room_id;
        const r = roomId === undefined ? undefined : this.rooms.get(roomId);
        if (r && r.unread > 0 && (d.kind === 'delete' || d.kind === 'edit')) this.refreshSoon();
        return;
      }
    }
  }

  /** Reads the counts from the server again, once, shortly (many causes, one request). */
  refreshSoon(): void {
    if (this.refreshTimer !== undefined || this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.load().catch(() => undefined);
    }, 250);
  }

  private count(roomId: string, m: Message): void {
    const r = this.rooms.get(roomId);
    if (!r || m.seq <= r.latest_seq) return;
    r.latest_seq = m.seq;
    const own = m.username === this.opts.username;
    if (own) {
      // Writing in a room reads it.
      if (r.unread === 0) r.last_read_seq = m.seq;
      this.changed();
      return;
    }
    if (m.seq <= r.last_read_seq) return;
    // The server names them (`mentions`, issue 11); found the same way when it does not.
    const named = (m as { mentions?: string[] }).mentions ?? extractMentions(m.content);
    const mention = mentionsUser(named, this.opts.username);
    r.unread++;
    if (mention) r.mentions++;
    this.changed();
    this.events.emit('message', { room: r, message: m, mention });
  }

  private applyRead(roomId: string, seq: number, notify: NotifyLevel | undefined): void {
    const r = this.rooms.get(roomId);
    if (!r || !Number.isSafeInteger(seq)) return;
    const before = r.last_read_seq;
    if (notify) r.notify = notify;
    r.last_read_seq = seq;
    if (seq >= r.latest_seq) {
      r.unread = 0;
      r.mentions = 0;
    } else if (seq !== before) {
      // Which of the remaining messages are unread (and mention us) only the server knows.
      this.refreshSoon();
    }
    this.changed();
  }

  private roomPath(roomId: string): string {
    return `/api/chat/me/rooms/${encodeURIComponent(roomId)}`;
  }

  private path(p: string): string {
    return this.opts.openMode ? `${p}?username=${encodeURIComponent(this.opts.username)}` : p;
  }

  private changed(): void {
    this.events.emit('change', undefined);
  }
}
