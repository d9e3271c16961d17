// The shapes of issue 11 ("messages that live") as the web client sees them. The
// wire types are in protocol/changes.ts; these widen the original Message, frames
// and server events with them, so the client compiles against the contract whether
// or not protocol/rest.ts and frames.ts carry the new fields yet (they are
// supersets: once they do, these are the same types).
import type {
  DeleteFrame,
  EditFrame,
  MessageChange,
  ReactFrame,
  Reaction,
  ReplyPreview,
} from '../protocol/changes.js';
import type { ClientFrame, MessageFrame, ServerEvents } from '../protocol/frames.js';
import type { Message } from '../protocol/rest.js';

/** A message with its optional issue-11 fields (omitted by the server when empty). */
export type LiveMessage = Message & {
  edited_at?: string;
  reply_to?: ReplyPreview;
  reactions?: Reaction[];
  mentions?: string[];
};

/** A change frame the client sends (edit, delete, react). */
export type ChangeFrame = EditFrame | DeleteFrame | ReactFrame;

/** Every frame the client sends: the original ones, replies, and changes. */
export type OutgoingFrame = ClientFrame | (MessageFrame & { reply_to?: string }) | ChangeFrame;

/** Server events, with `change` (only on connections with `features=changes`). */
export type LiveServerEvents = ServerEvents & { change: MessageChange };
