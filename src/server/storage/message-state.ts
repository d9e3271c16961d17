// A message's current state as both stores keep it in its row (issue 11): the
// reactions and mentions as JSON text, the reply preview from a join. One place
// for the mapping, so SQLite and PostgreSQL answer alike.
import { type Attachment, composeContent } from '../../protocol/attachments.js';
import {
  type ChangeKind,
  MAX_REACTIONS_PER_MESSAGE,
  type MessageChange,
  type Reaction,
  type ReplyPreview,
} from '../../protocol/changes.js';
import { extractMentions } from '../../protocol/mentions.js';
import type { Message } from '../../protocol/rest.js';
import type { LogEntry } from './chat-store.js';

/** Reactions as stored: each emoji with who used it, in the order emoji were first used. */
interface StoredReaction {
  emoji: string;
  users: string[];
}

/** The reply's target as the join reads it (every column null when the message is no reply). */
export interface ReplyColumns {
  id: string | null;
  seq: number | null;
  username: string | null;
  excerpt: string | null;
  deleted: boolean;
}

/** The state columns of a message row, as read. */
export interface StateColumns {
  editedAt: string | null;
  reactions: string | null;
  mentions: string | null;
  reply: ReplyColumns;
}

/**
 * The columns every read selects after the message's own: its state, and its
 * reply target's preview (`r`). SQLite and PostgreSQL both count `substr` in
 * characters.
 */
export const STATE_SELECT =
  'm.edited_at, m.reactions, m.mentions, m.reply_to, r.seq AS r_seq, r.username AS r_username, ' +
  'substr(r.content, 1, 140) AS r_excerpt, r.deleted_at AS r_deleted';

/** The join that brings the reply target; `m` is the message. */
export const REPLY_JOIN = 'LEFT JOIN messages r ON r.id = m.reply_to';

/** Adds the optional fields of issue 11 to a message, omitting the empty ones. */
export function withState(message: Message, state: StateColumns): Message {
  if (state.editedAt !== null) message.edited_at = state.editedAt;
  if (state.reply.id !== null && state.reply.seq !== null) {
    message.reply_to = replyPreview(state.reply);
  }
  if (state.reactions !== null) {
    const reactions = reactionsOut(state.reactions);
    if (reactions.length > 0) message.reactions = reactions;
  }
  if (state.mentions !== null) message.mentions = JSON.parse(state.mentions) as string[];
  return message;
}

export function replyPreview(r: ReplyColumns): ReplyPreview {
  const preview: ReplyPreview = {
    id: r.id as string,
    seq: Number(r.seq),
    username: r.username ?? '',
    excerpt: r.deleted ? '' : (r.excerpt ?? ''),
  };
  if (r.deleted) preview.deleted = true;
  return preview;
}

function reactionsOut(json: string): Reaction[] {
  return (JSON.parse(json) as StoredReaction[]).map((r) => ({
    emoji: r.emoji,
    count: r.users.length,
    users: r.users,
  }));
}

/**
 * The mentions column for the text a sender typed (not the files' lines after
 * it, whose names are no mentions): JSON, or null when it names nobody.
 */
export function mentionsColumn(content: string): { json: string | null; names: string[] } {
  const names = extractMentions(content);
  return { json: names.length > 0 ? JSON.stringify(names) : null, names };
}

/** The rows of message_mentions: each name lower-cased (issue 12 compares case-insensitively). */
export function mentionKeys(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.toLowerCase()))];
}

/**
 * The reactions column after `username` adds (`on`) or takes back an emoji, with
 * set semantics; `too_many` when it would be one distinct emoji too many.
 */
export function changeReactions(
  json: string | null,
  emoji: string,
  username: string,
  on: boolean,
): { json: string | null } | 'too_many' {
  const list: StoredReaction[] = json === null ? [] : (JSON.parse(json) as StoredReaction[]);
  const index = list.findIndex((r) => r.emoji === emoji);
  const entry = list[index];
  if (on) {
    if (entry) {
      if (!entry.users.includes(username)) entry.users.push(username);
    } else {
      if (list.length >= MAX_REACTIONS_PER_MESSAGE) return 'too_many';
      list.push({ emoji, users: [username] });
    }
  } else if (entry) {
    entry.users = entry.users.filter((u) => u !== username);
    if (entry.users.length === 0) list.splice(index, 1);
  }
  return { json: list.length > 0 ? JSON.stringify(list) : null };
}

/** An edit's stored content: the new text, then the files' lines as the message was sent. */
export function editedContent(text: string, attachmentsJson: string | null): string {
  if (attachmentsJson === null) return text;
  return composeContent(text, JSON.parse(attachmentsJson) as Attachment[]);
}

/** A change row as read. */
export interface ChangeColumns {
  id: string;
  room_id: string;
  seq: number;
  message_id: string;
  kind: string;
  username: string;
  timestamp: string;
  content: string | null;
  emoji: string | null;
  client_id: string | null;
}

export const CHANGE_COLUMNS =
  'id, room_id, seq, message_id, kind, username, timestamp, content, emoji, client_id';

export function toChange(row: ChangeColumns): MessageChange {
  const change: MessageChange = {
    id: row.id,
    room_id: row.room_id,
    seq: Number(row.seq),
    message_id: row.message_id,
    kind: row.kind as ChangeKind,
    username: row.username,
    timestamp: row.timestamp,
  };
  if (row.content !== null) change.content = row.content;
  if (row.emoji !== null) change.emoji = row.emoji;
  if (row.client_id !== null) change.client_id = row.client_id;
  return change;
}

/** Messages and changes (each in seq order) as one log in seq order, at most `limit` entries. */
export function mergeLog(
  messages: readonly Message[],
  changes: readonly MessageChange[],
  limit: number,
): LogEntry[] {
  const out: LogEntry[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < messages.length || j < changes.length)) {
    const m = messages[i];
    const c = changes[j];
    if (m && (!c || m.seq < c.seq)) {
      out.push({ kind: 'message', seq: m.seq, message: m });
      i++;
    } else if (c) {
      out.push({ kind: 'change', seq: c.seq, change: c });
      j++;
    }
  }
  return out;
}
