// How one change (edit, delete, react, unreact) turns a message into its next
// state, as a pure function shared by the timeline (confirmed changes) and the
// view (our own changes still in the outbox, shown at once). Idempotent: applying
// a change twice, or an older change the message already reflects, is harmless
// (reactions have set semantics; an edit sets the content).
import { messageText } from '../protocol/attachment-text.js';
import type { ChangeKind, Reaction } from '../protocol/changes.js';
import { REPLY_EXCERPT_LENGTH } from '../protocol/changes.js';
import { extractMentions } from '../protocol/mentions.js';
import type { LiveMessage } from './live-types.js';

/** The parts of a change that matter to the message it changes. */
export interface ChangeLike {
  kind: ChangeKind;
  username: string;
  content?: string | undefined;
  emoji?: string | undefined;
  /** When the change was made (ISO 8601); an edit's `edited_at`. */
  timestamp: string;
}

/**
 * The message after `c`: a new object when something changed, the same object
 * when nothing did, or null when the change deletes it.
 */
export function applyChange(m: LiveMessage, c: ChangeLike): LiveMessage | null {
  switch (c.kind) {
    case 'delete':
      return null;
    case 'edit': {
      const content = c.content ?? '';
      if (content === m.content && m.edited_at !== undefined) return m;
      const next: LiveMessage = { ...m, content, edited_at: c.timestamp };
      // As the server counts them: from the typed text, not the lines naming files.
      const typed = m.attachments?.length ? messageText(content, m.attachments) : content;
      const mentions = extractMentions(typed);
      if (mentions.length > 0) next.mentions = mentions;
      else delete next.mentions;
      return next;
    }
    case 'react':
    case 'unreact': {
      if (c.emoji === undefined) return m;
      const reactions = toggleReaction(m.reactions ?? [], c.emoji, c.username, c.kind === 'react');
      if (reactions === m.reactions) return m;
      const next: LiveMessage = { ...m, reactions };
      if (reactions.length === 0) delete next.reactions;
      return next;
    }
  }
}

/** Sets or clears `username`'s `emoji`; returns `list` itself when nothing changes. */
export function toggleReaction(
  list: readonly Reaction[],
  emoji: string,
  username: string,
  on: boolean,
): Reaction[] {
  const i = list.findIndex((r) => r.emoji === emoji);
  const current = list[i];
  if (on) {
    if (current?.users.includes(username)) return list as Reaction[];
    if (!current) return [...list, { emoji, count: 1, users: [username] }];
    const users = [...current.users, username];
    return list.map((r, j) => (j === i ? { emoji, count: users.length, users } : r));
  }
  if (!current?.users.includes(username)) return list as Reaction[];
  const users = current.users.filter((u) => u !== username);
  if (users.length === 0) return list.filter((_, j) => j !== i);
  return list.map((r, j) => (j === i ? { emoji, count: users.length, users } : r));
}

/** A reply's preview of `original` after it changed (edited or deleted), or the same preview. */
export function updatedPreview(
  m: LiveMessage,
  original: { id: string; content: string } | { id: string; deleted: true },
): LiveMessage {
  const p = m.reply_to;
  if (!p || p.id !== original.id) return m;
  if ('deleted' in original) {
    if (p.deleted) return m;
    return { ...m, reply_to: { ...p, excerpt: '', deleted: true } };
  }
  const excerpt = [...original.content].slice(0, REPLY_EXCERPT_LENGTH).join('');
  if (excerpt === p.excerpt) return m;
  return { ...m, reply_to: { ...p, excerpt } };
}
