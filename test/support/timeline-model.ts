// What a client holding a room's timeline must end up with: the messages it was
// sent, with the changes it was sent applied to them, exactly as a client with
// `features=changes` is meant to apply them (CONTRACT.md, issue 11): idempotently,
// in any repetition, so that a message replayed in its current state followed by
// its own older changes still converges, and a change older than one already
// applied to its message (a retried change's late answer) is skipped. Tests
// compare `state()` with the server's REST history (`stateOfHistory`).
import type { MessageChange, Reaction, ReplyPreview } from '../../src/protocol/changes.js';
import { extractMentions } from '../../src/protocol/mentions.js';
import type { Message } from '../../src/protocol/rest.js';

/**
 * A message with the optional fields issue 11 adds (omitted when empty). Spelled
 * out here so the model reads them whether or not `Message` declares them yet.
 */
export type LiveMessage = Message & {
  edited_at?: string;
  reply_to?: ReplyPreview;
  reactions?: Reaction[];
  mentions?: string[];
};

/** The frames that carry the room's log: messages and (with the feature) changes. */
export type LogFrame =
  | { type: 'message'; data: LiveMessage }
  | { type: 'change'; data: MessageChange };

/**
 * One message as a user sees it, in a form two clients (or a client and REST) can
 * be compared in: reactions as sets (sorted users per emoji), since the order of
 * reactions is not what convergence is about; the reply by the id it answers
 * (its preview is the server's business, checked separately).
 */
export interface MessageState {
  id: string;
  seq: number;
  username: string;
  content: string;
  edited_at: string | null;
  reply_to: string | null;
  mentions: string[];
  reactions: Record<string, string[]>;
}

interface Held {
  id: string;
  seq: number;
  username: string;
  content: string;
  editedAt: string | null;
  replyTo: string | null;
  mentions: string[];
  /** emoji → users, in the order they reacted as this client saw it. */
  reactions: Map<string, string[]>;
  /** Seq of the newest change applied: an older one (a retry's late answer) is stale. */
  changedSeq: number;
}

export class TimelineModel {
  private readonly held = new Map<string, Held>();
  /** Ids of messages this client saw deleted: a late copy of one must not bring it back. */
  private readonly deleted = new Set<string>();
  /** Highest seq applied, messages and changes alike. */
  lastSeq = 0;

  /** Applies one log frame; any other frame is ignored. Safe to repeat. */
  apply(frame: { type: string; data?: unknown }): void {
    if (frame.type === 'message') this.applyMessage(frame.data as LiveMessage);
    else if (frame.type === 'change') this.applyChange(frame.data as MessageChange);
  }

  /**
   * A message in the state the server sent it (live: as stored; replayed or from
   * REST: its current state). One already held is kept as it is: its changes
   * were applied to it since, and a repeat (a retry's echo) is older than them.
   */
  applyMessage(m: LiveMessage): void {
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (this.held.has(m.id) || this.deleted.has(m.id)) return;
    this.held.set(m.id, {
      id: m.id,
      seq: m.seq,
      username: m.username,
      content: m.content,
      editedAt: m.edited_at ?? null,
      replyTo: m.reply_to?.id ?? null,
      mentions: m.mentions ?? [],
      reactions: new Map((m.reactions ?? []).map((r) => [r.emoji, [...r.users]])),
      changedSeq: 0,
    });
  }

  /** A change; one to a message this client does not hold changes nothing. */
  applyChange(c: MessageChange): void {
    this.lastSeq = Math.max(this.lastSeq, c.seq);
    if (c.kind === 'delete') {
      this.held.delete(c.message_id);
      this.deleted.add(c.message_id);
      return;
    }
    const m = this.held.get(c.message_id);
    if (!m || c.seq <= m.changedSeq) return;
    m.changedSeq = c.seq;
    switch (c.kind) {
      case 'edit': {
        m.content = c.content ?? '';
        m.editedAt = c.timestamp;
        // The client finds mentions the way the server does (protocol/mentions.ts).
        m.mentions = extractMentions(m.content);
        return;
      }
      case 'react': {
        const emoji = c.emoji ?? '';
        const users = m.reactions.get(emoji) ?? [];
        if (!users.includes(c.username)) users.push(c.username);
        m.reactions.set(emoji, users);
        return;
      }
      case 'unreact': {
        const emoji = c.emoji ?? '';
        const users = (m.reactions.get(emoji) ?? []).filter((u) => u !== c.username);
        if (users.length === 0) m.reactions.delete(emoji);
        else m.reactions.set(emoji, users);
        return;
      }
    }
  }

  /** The message with this id, as held (undefined when unknown or deleted). */
  get(id: string): MessageState | undefined {
    const m = this.held.get(id);
    return m && toState(m);
  }

  /** Every held message, oldest first. */
  state(): MessageState[] {
    return [...this.held.values()].sort((a, b) => a.seq - b.seq).map(toState);
  }

  /** Held messages, oldest first (for picking one to act on). */
  messages(): readonly Held[] {
    return [...this.held.values()].sort((a, b) => a.seq - b.seq);
  }
}

function toState(m: Held): MessageState {
  return {
    id: m.id,
    seq: m.seq,
    username: m.username,
    content: m.content,
    edited_at: m.editedAt,
    reply_to: m.replyTo,
    mentions: m.mentions,
    reactions: Object.fromEntries(
      [...m.reactions.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([e, u]) => [e, [...u].sort()]),
    ),
  };
}

/** REST history (current state, deleted omitted) in the model's comparable form. */
export function stateOfHistory(messages: readonly LiveMessage[]): MessageState[] {
  const model = new TimelineModel();
  for (const m of messages) model.applyMessage(m);
  return model.state();
}
