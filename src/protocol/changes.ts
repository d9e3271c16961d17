import { type Static, Type } from '@sinclair/typebox';

// Messages that live: edits, deletes and reactions are entries of the room's
// ordered log, between the messages, each with its own `seq` from the same
// per-room counter. A client resuming with `since=` gets every entry it missed,
// messages and changes alike, in seq order, once.
//
// Original clients (no `features=changes` on `/ws/chat/{room_id}`) never see a
// `change` frame: they get the `message` frames only (so message seqs have gaps
// where changes sit), never a deleted message on replay, and edited messages in
// their current state on replay.

/** `features=` values a `/ws/chat/{room_id}` client may announce (comma-separated; unknown ones ignored). */
export const Feature = {
  /** Receive `change` frames (and send `edit`, `delete`, `react` is allowed to everyone). */
  CHANGES: 'changes',
} as const;
export type Feature = (typeof Feature)[keyof typeof Feature];

/** Longest reaction, in UTF-16 code units (Campfire allows 16 characters). */
export const MAX_EMOJI_LENGTH = 16;
/** Most distinct reactions on one message; one more is refused with TOO_MANY_REACTIONS. */
export const MAX_REACTIONS_PER_MESSAGE = 20;
/** Longest `excerpt` of a reply preview, in characters. */
export const REPLY_EXCERPT_LENGTH = 140;

export const Emoji = Type.String({
  minLength: 1,
  maxLength: MAX_EMOJI_LENGTH,
  description:
    'One reaction: an emoji or a short word, NFC, no whitespace, no control or invisible characters',
});

export const Reaction = Type.Object(
  {
    emoji: Emoji,
    count: Type.Integer({ minimum: 1 }),
    users: Type.Array(Type.String(), { description: 'Who reacted, in the order they did' }),
  },
  { $id: 'Reaction' },
);
export type Reaction = Static<typeof Reaction>;

/** What a reply shows of the message it answers, as stored now (edits included). */
export const ReplyPreview = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    seq: Type.Integer({ minimum: 1 }),
    username: Type.String(),
    excerpt: Type.String({
      description: `The start of its content, at most ${REPLY_EXCERPT_LENGTH} characters; empty when deleted`,
    }),
    deleted: Type.Optional(Type.Boolean({ description: 'The original was deleted' })),
  },
  { $id: 'ReplyPreview' },
);
export type ReplyPreview = Static<typeof ReplyPreview>;

export const ChangeKind = Type.Union([
  Type.Literal('edit'),
  Type.Literal('delete'),
  Type.Literal('react'),
  Type.Literal('unreact'),
]);
export type ChangeKind = Static<typeof ChangeKind>;

/**
 * One change to a message, as stored in the room's log. Applying changes is
 * idempotent: an edit sets the content, a delete removes the message, and
 * reactions have set semantics (`react` by a user who already reacted with that
 * emoji changes nothing), so a client that already holds a message's current
 * state may safely apply changes to it again.
 */
export const MessageChange = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The change itself' }),
    room_id: Type.String({ format: 'uuid' }),
    seq: Type.Integer({ minimum: 1, description: "The change's place in the room's log" }),
    message_id: Type.String({ format: 'uuid', description: 'The message changed' }),
    kind: ChangeKind,
    username: Type.String({ description: 'Who made the change' }),
    timestamp: Type.String({ description: 'ISO 8601' }),
    content: Type.Optional(Type.String({ description: '`edit`: the new content' })),
    emoji: Type.Optional(Emoji),
    client_id: Type.Optional(Type.String({ description: 'Idempotency key, echoed back' })),
  },
  { $id: 'MessageChange' },
);
export type MessageChange = Static<typeof MessageChange>;

/* ---------- client to server (WebSocket), also accepted on /ws/workspace with `room_id` ---------- */

const changeClientId = Type.Optional(
  Type.String({
    minLength: 1,
    description:
      'Idempotency key (per sender, shared with messages): a retry with the same key is applied once and answered with the first change',
  }),
);

export const EditFrame = Type.Object(
  {
    type: Type.Literal('edit'),
    message_id: Type.String(),
    content: Type.String({ description: 'The new content; the same rules as a message' }),
    client_id: changeClientId,
  },
  { title: 'EditFrame', description: 'Edit your own message' },
);
export type EditFrame = Static<typeof EditFrame>;

export const DeleteFrame = Type.Object(
  {
    type: Type.Literal('delete'),
    message_id: Type.String(),
    client_id: changeClientId,
  },
  {
    title: 'DeleteFrame',
    description:
      "Delete your own message (accounts mode: the room's owner and admins may delete any)",
  },
);
export type DeleteFrame = Static<typeof DeleteFrame>;

export const ReactFrame = Type.Object(
  {
    type: Type.Literal('react'),
    message_id: Type.String(),
    emoji: Emoji,
    on: Type.Boolean({ description: 'true adds your reaction, false takes it back' }),
    client_id: changeClientId,
  },
  { title: 'ReactFrame', description: 'Add or remove your reaction to a message' },
);
export type ReactFrame = Static<typeof ReactFrame>;

/* ---------- REST bodies ---------- */

export const EditMessageBody = Type.Object(
  {
    content: Type.String(),
    client_id: Type.Optional(Type.String({ minLength: 1 })),
    username: Type.Optional(
      Type.String({ description: 'Open mode: who edits (must be the author)' }),
    ),
  },
  { $id: 'EditMessageBody' },
);
export type EditMessageBody = Static<typeof EditMessageBody>;
