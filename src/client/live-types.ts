// The shapes of issue 11 ("messages that live") as the web client names them. The
// client was written against the contract before protocol/rest.ts and frames.ts
// carried the new fields; now that they do, these are plain aliases of the
// protocol's types (kept so the client's modules name what they mean).
import type { DeleteFrame, EditFrame, ReactFrame } from '../protocol/changes.js';
import type { ClientFrame, ServerEvents } from '../protocol/frames.js';
import type { Message } from '../protocol/rest.js';

/** A message with its optional issue-11 fields (edited_at, reply_to, reactions, mentions). */
export type LiveMessage = Message;

/** A change frame the client sends (edit, delete, react). */
export type ChangeFrame = EditFrame | DeleteFrame | ReactFrame;

/** Every frame the client sends. */
export type OutgoingFrame = ClientFrame;

/** Server events, `change` included (only on connections with `features=changes`). */
export type LiveServerEvents = ServerEvents;
