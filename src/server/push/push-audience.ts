// Who is told about a message by push (Campfire's involvement, before per-room
// notify levels exist): the members of a direct message, and whoever the message
// mentions by `@name` who may read the room. Never its author. Whether they are
// looking at the room already is the notifier's question (presence).
import { extractMentions } from '../../protocol/mentions.js';
import type { Message, Room } from '../../protocol/rest.js';
import { usernameKey } from '../domain/accounts.js';
import { accountReaderKey, openReader } from '../domain/reader.js';
import type { AccountStore, UserRecord } from '../storage/account-store.js';
import type { ChatStore } from '../storage/chat-store.js';

export interface PushRecipient {
  /** The reader key (domain/reader.ts). */
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

export class PushAudience {
  private readonly rooms = new Map<string, { room: Room; until: number }>();

  constructor(
    private readonly store: ChatStore,
    /** Accounts mode's store; undefined in open mode (readers are names). */
    private readonly accounts: AccountStore | undefined,
  ) {}

  /** The message's room and who should hear of it; null when nobody should. */
  async of(message: Message): Promise<{ room: Room; recipients: PushRecipient[] } | null> {
    const mentioned = extractMentions(message.content).slice(0, MAX_MENTIONS);
    // Open mode has no members and no DMs: only mentions notify.
    if (!this.accounts && mentioned.length === 0) return null;
    const room = await this.room(message.room_id);
    if (!room) return null;
    const author = usernameKey(message.username);
    const recipients = this.accounts
      ? await this.accountRecipients(this.accounts, room, mentioned)
      : mentioned.map((name) => ({ reader: openReader(name).key, username: name }));
    const others = recipients.filter((r) => usernameKey(r.username) !== author);
    return others.length > 0 ? { room, recipients: others } : null;
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
  ): Promise<PushRecipient[]> {
    const named = new Set(mentioned.map(usernameKey));
    if (room.visibility !== 'private' && named.size === 0) return [];
    let users: (UserRecord | null)[];
    if (room.visibility === 'private') {
      // A DM notifies on every message; a private room its mentioned members.
      const members = await accounts.listMembers(room.id);
      const told = members.filter((m) => room.kind === 'dm' || named.has(usernameKey(m.username)));
      // Members stay members when deactivated; they are told nothing any more.
      users = await Promise.all(told.map((m) => accounts.userById(m.id)));
    } else {
      // A public room: every account may read it; the ones named are told.
      users = await Promise.all([...named].map((key) => accounts.userByKey(key)));
    }
    return users.flatMap((u) =>
      u?.active ? [{ reader: accountReaderKey(u.id), username: u.username }] : [],
    );
  }
}
