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
    // Your own arrival is not news to you.
    if (seen || d.username === this.opts.username) return;
    this.add('join', d.username);
  }

  leave(d: ServerEvents['leave']): void {
    this.known.delete(d.username);
    if (d.username === this.opts.username) return;
    this.add('leave', d.username);
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

  /**
   * Joins (or leaves) with no message between them make one line: "Alice and 3
   * others joined". The line is replaced (a new id), so the timeline redraws it.
   */
  private add(kind: NoticeKind, name: string): void {
    const afterSeq = this.opts.lastSeq();
    const last = this.list[this.list.length - 1];
    let names = [name];
    if (last && last.kind === kind && last.afterSeq === afterSeq && last.names) {
      // The same array grows (a join storm stays linear); `known` keeps names unique.
      names = last.names as string[];
      names.push(name);
      this.list.pop();
    }
    const notice: Notice = {
      id: this.nextId++,
      kind,
      text: noticeText(kind, names),
      names,
      afterSeq,
      at: new Date(),
    };
    this.list.push(notice);
    if (this.list.length > MAX_NOTICES) this.list.splice(0, this.list.length - MAX_NOTICES);
    this.opts.emit('timeline', { reason: 'notice' });
    this.opts.emit('notice', notice);
  }
}

/** "Alice joined the room", "Alice and Bob joined", "Alice and 3 others joined". */
export function noticeText(kind: NoticeKind, names: readonly string[]): string {
  const verb = kind === 'join' ? 'joined' : 'left';
  const [first, second] = names;
  if (names.length === 1) return `${first} ${verb} the room`;
  if (names.length === 2) return `${first} and ${second} ${verb}`;
  return `${first} and ${names.length - 1} others ${verb}`;
}
