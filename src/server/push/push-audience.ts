// Who is told about a message by push (Campfire's involvement): readers whose
// notify level for the room is `all` (a DM's default), and whoever the message
// mentions by `@name` who may read the room, unless their level is `none`. Never
// its author. Whether they are looking at the room already is the notifier's
// question (presence).
import { extractMentions } from '../../protocol/mentions.js';
import type { Message, Room } from '../../protocol/rest.js';
import { usernameKey } from '../domain/accounts.js';
import { accountReaderKey, openReader } from '../domain/reader.js';
import type { AccountStore, UserRecord } from '../storage/account-store.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { NotifyOverrides, SidebarStore } from '../storage/sidebar-store.js';
import { pushOwner } from './push-owner.js';

export interface PushRecipient {
  /** Whose subscriptions to push to (push-owner.ts). */
  reader: string;
  username: string;
}

/** Mentions looked up per message, at most: a message naming hundreds notifies the first ones. */
const MAX_MENTIONS = 50;
/**
 * Rooms are looked up once per this long, not per message (a busy public room
 * would cost a query per message only to learn it is public); a rename shows in
 * notifications after at most this.
 */
const ROOM_CACHE_MS = 30_000;
const ROOM_CACHE_SIZE = 1_000;
/** Notify levels are read once per this long per room; a changed level applies within it. */
const LEVELS_CACHE_MS = 5_000;

export class PushAudience {
  private readonly rooms = new Map<string, { room: Room; until: number }>();
  private readonly levels = new Map<string, { levels: NotifyOverrides; until: number }>();

  constructor(
    private readonly store: ChatStore,
    /** Accounts mode's store; undefined in open mode (readers are names). */
    private readonly accounts: AccountStore | undefined,
    /** Per-room notify levels; without it, a DM's members hear everything and others their mentions. */
    private readonly sidebars?: SidebarStore,
  ) {}

  /** The message's room and who should hear of it; null when nobody should. */
  async of(message: Message): Promise<{ room: Room; recipients: PushRecipient[] } | null> {
    const mentioned = extractMentions(message.content).slice(0, MAX_MENTIONS);
    const room = await this.room(message.room_id);
    if (!room) return null;
    const levels = this.sidebars ? await this.levelsOf(this.sidebars, room.id) : null;
    if (mentioned.length === 0 && levels?.all.length === 0) return null;
    const author = usernameKey(message.username);
    const recipients = this.accounts
      ? await this.accountRecipients(this.accounts, room, mentioned, levels)
      : this.openRecipients(mentioned, levels);
    const muted = new Set(levels?.none.map(pushOwner));
    const others = recipients.filter(
      (r) => usernameKey(r.username) !== author && !muted.has(r.reader),
    );
    return others.length > 0 ? { room, recipients: others } : null;
  }

  /**
   * True when `of(message)` would find nobody by its first test alone, answered
   * from the caches without a promise: the room and its levels are cached, nobody
   * hears everything there and the message mentions no one (most messages). False
   * means only that `of` must be asked.
   */
  nobodyToTell(message: Message): boolean {
    if (!this.sidebars) return false;
    const now = Date.now();
    const room = this.rooms.get(message.room_id);
    if (!room || room.until <= now) return false;
    const levels = this.levels.get(room.room.id);
    if (!levels || levels.until <= now || levels.levels.all.length > 0) return false;
    return extractMentions(message.content).length === 0;
  }

  /**
   * Open mode: readers are names, each name's subscriptions owned by it ignoring
   * case; the ones mentioned and the ones who hear everything.
   */
  private openRecipients(
    mentioned: readonly string[],
    levels: NotifyOverrides | null,
  ): PushRecipient[] {
    const byOwner = new Map<string, PushRecipient>();
    for (const name of mentioned) {
      const owner = pushOwner(openReader(name).key);
      byOwner.set(owner, { reader: owner, username: name });
    }
    for (const key of levels?.all ?? []) {
      const owner = pushOwner(key);
      if (key.startsWith('u:') && !byOwner.has(owner))
        byOwner.set(owner, { reader: owner, username: key.slice(2) });
    }
    return [...byOwner.values()];
  }

  private async levelsOf(sidebars: SidebarStore, roomId: string): Promise<NotifyOverrides> {
    const now = Date.now();
    const cached = this.levels.get(roomId);
    if (cached && cached.until > now) return cached.levels;
    const levels = await sidebars.notifyOverrides(roomId);
    if (this.levels.size >= ROOM_CACHE_SIZE) this.levels.clear();
    this.levels.set(roomId, { levels, until: now + LEVELS_CACHE_MS });
    return levels;
  }

  private async room(roomId: string): Promise<Room | null> {
    const now = Date.now();
    const cached = this.rooms.get(roomId);
    if (cached && cached.until > now) return cached.room;
    const room = await this.store.getRoom(roomId);
    if (this.rooms.size >= ROOM_CACHE_SIZE) this.rooms.clear();
    if (room) this.rooms.set(roomId, { room, until: now + ROOM_CACHE_MS });
    return room;
  }

  private async accountRecipients(
    accounts: AccountStore,
    room: Room,
    mentioned: readonly string[],
    levels: NotifyOverrides | null,
  ): Promise<PushRecipient[]> {
    const named = new Set(mentioned.map(usernameKey));
    const loud = new Set(levels?.all);
    let users: (UserRecord | null)[];
    if (room.visibility === 'private') {
      // Members whose level is `all` (without levels: every DM member), and the mentioned ones.
      const members = await accounts.listMembers(room.id);
      const told = members.filter(
        (m) =>
          named.has(usernameKey(m.username)) ||
          (levels ? loud.has(accountReaderKey(m.id)) : room.kind === 'dm'),
      );
      // Members stay members when deactivated; they are told nothing any more.
      users = await Promise.all(told.map((m) => accounts.userById(m.id)));
    } else {
      // A public room: every account may read it; the ones named or hearing everything are told.
      const byName = await Promise.all([...named].map((key) => accounts.userByKey(key)));
      const namedIds = new Set(byName.flatMap((u) => (u ? [u.id] : [])));
      const loudIds = [...loud].flatMap((key) =>
        key.startsWith('a:') && !namedIds.has(key.slice(2)) ? [key.slice(2)] : [],
      );
      users = [...byName, ...(await Promise.all(loudIds.map((id) => accounts.userById(id))))];
    }
    return users.flatMap((u) =>
      u?.active ? [{ reader: accountReaderKey(u.id), username: u.username }] : [],
    );
  }
}
