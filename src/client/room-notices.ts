// Who is in the room: the online list from the server, and the join/leave lines
// in the timeline. Everyone seen online is remembered, so a reconnect storm (each
// connection's user_list and joins again) does not fill the log with joins.
import type { ServerEvents } from '../protocol/frames.js';
import type { EmitRoomEvent, Notice, NoticeKind } from './room-events.js';

/** A long-lived tab must not grow without bound. */
const MAX_NOTICES = 500;

export interface RoomNoticesOptions {
  username: string;
  emit: EmitRoomEvent;
  /** The newest seq in the timeline (0 when empty): where a new notice goes. */
  lastSeq: () => number;
}

export class RoomNotices {
  private list: Notice[] = [];
  private nextId = 1;
  private online: string[] = [];
  /** Everyone seen online before, so reconnect storms don't fill the log with joins. */
  private known = new Set<string>();

  constructor(private readonly opts: RoomNoticesOptions) {}

  get notices(): readonly Notice[] {
    return this.list;
  }

  /** Online people, sorted, without duplicates. */
  get users(): readonly string[] {
    return this.online;
  }

  join(d: ServerEvents['join']): void {
    const seen = this.known.has(d.username);
    this.known.add(d.username);
    if (seen) return;
    this.add('join', d.message || `${d.username} joined the room`);
  }

  leave(d: ServerEvents['leave']): void {
    this.known.delete(d.username);
    if (d.username === this.opts.username) return;
    this.add('leave', d.message || `${d.username} left the room`);
  }

  userList(d: ServerEvents['user_list']): void {
    const users = [...new Set(d.users)].sort((a, b) =>
      a.localeCompare(b, undefined, { sensitivity: 'base' }),
    );
    this.online = users;
    this.known = new Set(users);
    this.opts.emit('users', users);
  }

  /** After a reload (a restore) the room may end before notices we placed: keep them at the end. */
  clampTo(lastSeq: number): void {
    for (const n of this.list) if (n.afterSeq > lastSeq) n.afterSeq = lastSeq;
  }

  private add(kind: NoticeKind, text: string): void {
    const notice: Notice = {
      id: this.nextId++,
      kind,
      text,
      afterSeq: this.opts.lastSeq(),
      at: new Date(),
    };
    this.list.push(notice);
    if (this.list.length > MAX_NOTICES) this.list.splice(0, this.list.length - MAX_NOTICES);
    this.opts.emit('timeline', { reason: 'notice' });
    this.opts.emit('notice', notice);
  }
}
