import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { DeleteFrame, EditFrame, type MessageChange, ReactFrame } from './changes.js';
import { ErrorCode } from './error-codes.js';
import type { Message } from './rest.js';

// Frame schemas: client frames are validated with them (validate.ts); every frame
// is documented from them in /asyncapi.json.

/* ---------- client to server ---------- */

export const MessageFrame = Type.Object(
  {
    type: Type.Literal('message'),
    content: Type.String({
      description:
        'Not blank (it may be empty when `attachments` has files); at most `CHAT_MAX_CONTENT_LENGTH` characters; no control characters but tab and newline',
    }),
    attachments: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Upload ids (from `POST /api/chat/rooms/{room_id}/uploads` to this room, not yet sent), at most `CHAT_MAX_ATTACHMENTS`, no repeats',
      }),
    ),
    client_id: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Idempotency key (at most `CHAT_MAX_CLIENT_ID_LENGTH` characters): a retry with the same key is stored once',
      }),
    ),
    reply_to: Type.Optional(
      Type.String({
        description:
          'The id of a message of this room that this one answers; unknown or deleted: error `MESSAGE_NOT_FOUND`, nothing stored',
      }),
    ),
  },
  { title: 'MessageFrame', description: 'Send a chat message' },
);
export type MessageFrame = Static<typeof MessageFrame>;

export const TypingFrame = Type.Object(
  { type: Type.Literal('typing'), is_typing: Type.Boolean() },
  { title: 'TypingFrame', description: 'Start or stop typing' },
);
export type TypingFrame = Static<typeof TypingFrame>;

export const GetUsersFrame = Type.Object(
  { type: Type.Literal('get_users') },
  { title: 'GetUsersFrame', description: 'Ask for the online list (answered with `user_list`)' },
);
export type GetUsersFrame = Static<typeof GetUsersFrame>;

export type ClientFrame =
  | MessageFrame
  | TypingFrame
  | GetUsersFrame
  | EditFrame
  | DeleteFrame
  | ReactFrame;
export type ClientFrameType = ClientFrame['type'];

/** Every client frame's schema, by `type`. */
export const ClientFrameSchemas = {
  message: MessageFrame,
  typing: TypingFrame,
  get_users: GetUsersFrame,
  edit: EditFrame,
  delete: DeleteFrame,
  react: ReactFrame,
} satisfies { [K in ClientFrameType]: TSchema };

/* ---------- server to client ---------- */

export const PresenceNotice = Type.Object(
  {
    username: Type.String(),
    message: Type.String({ description: 'Human-readable, e.g. "alice joined the room"' }),
  },
  { title: 'PresenceNotice' },
);
export type PresenceNotice = Static<typeof PresenceNotice>;

/** The `data` of each server frame, by `type`. */
export const ServerEventData = {
  message: Type.Unsafe<Message>(Type.Ref('Message')),
  /** Only to connections that joined with `features=changes`. */
  change: Type.Unsafe<MessageChange>(Type.Ref('MessageChange')),
  join: PresenceNotice,
  leave: PresenceNotice,
  user_list: Type.Object({ users: Type.Array(Type.String()) }),
  typing: Type.Object({ username: Type.String(), is_typing: Type.Boolean() }),
  /** `client_id` names the message frame that failed, when it carried one. */
  error: Type.Object({
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.values(ErrorCode) }),
    message: Type.String({ description: 'Human-readable; switch on `code`, never on this' }),
    client_id: Type.Optional(
      Type.String({
        description:
          'The `client_id` of the rejected `message`, `edit`, `delete` or `react` frame, if any',
      }),
    ),
  }),
  /** The room was deleted; the server closes with CloseCode.ROOM_DELETED next. */
  room_deleted: Type.Object({ room_id: Type.String(), message: Type.String() }),
  /**
   * Sent after a resume (`since=`) instead of a replay when the server cannot or will
   * not replay (see {@link ResyncReason}): the client should reload history over REST.
   * `latest_seq` is the room's newest seq when the resume began; live messages with
   * larger seqs follow. `epoch` is the current history epoch, for the next resume.
   */
  resync: Type.Object({
    latest_seq: Type.Integer({ description: "The room's newest seq when the resume began" }),
    missed: Type.Integer({ description: 'How many messages were missed' }),
    epoch: Type.String({ description: 'The current history epoch, to send with the next resume' }),
    reason: Type.Union(
      [Type.Literal('replay_limit'), Type.Literal('ahead'), Type.Literal('epoch')],
      { description: 'Why the server resynced instead of replaying (see ResyncReason)' },
    ),
  }),
};

export type ServerEvents = {
  [K in keyof typeof ServerEventData]: Static<(typeof ServerEventData)[K]>;
};

/**
 * Why a resume got `resync`:
 * - `replay_limit`: more than the replay limit was missed (`missed` = how many);
 * - `ahead`: `since` is beyond the room's newest seq, a position this history never
 *   reached (a restore, or a power loss that lost the last commits);
 * - `epoch`: `epoch` is not the current one: the history was replaced (a restore).
 * For the last two the client's position means nothing here, and `missed` is
 * `latest_seq`: the whole room is new to it.
 */
export type ResyncReason = ServerEvents['resync']['reason'];
export type ServerEventType = keyof ServerEvents;

/** `{"type": K, "data": ...}`, the schema of one server frame. */
function serverFrame<K extends ServerEventType>(type: K, description: string) {
  return Type.Object(
    { type: Type.Literal(type), data: ServerEventData[type] },
    { title: `${type} (server)`, description },
  );
}

/** Every server frame's schema, by `type` (for the documents: the server does not validate its own frames). */
export const ServerFrameSchemas = {
  message: serverFrame(
    'message',
    "A stored message, to everyone in the room, the sender included, after the commit: the echo is the sender's confirmation. On resume, the missed messages come first, in `seq` order",
  ),
  change: serverFrame(
    'change',
    "An edit, delete or reaction: an entry of the room's log with its own `seq`, in order with messages. Only to connections that joined with `features=changes` (the sender's echo included); on resume the missed ones come in `seq` order with the missed messages",
  ),
  join: serverFrame(
    'join',
    "A user's first connection to the room opened (the joiner gets it too)",
  ),
  leave: serverFrame('leave', "A user's last connection to the room closed"),
  user_list: serverFrame(
    'user_list',
    'The online list: on connect, after every join and leave (to the room), and in answer to `get_users` (to the asker)',
  ),
  typing: serverFrame(
    'typing',
    "Someone started or stopped typing; to everyone except the typist (in all of the typist's connections)",
  ),
  error: serverFrame(
    'error',
    'A frame was rejected; the connection stays open. `client_id` is present when the rejected `message`, `edit`, `delete` or `react` frame carried one',
  ),
  room_deleted: serverFrame(
    'room_deleted',
    'The room was deleted; the server closes the connection with 4010 next',
  ),
  resync: serverFrame(
    'resync',
    'After `since=`, when more than `CHAT_REPLAY_LIMIT` messages were missed: reload history over REST; live messages follow',
  ),
} satisfies { [K in ServerEventType]: TSchema };

export type ServerFrame = {
  [K in ServerEventType]: { type: K; data: ServerEvents[K] };
}[ServerEventType];

/** Query parameters of `GET /ws/chat/{room_id}`. */
export interface ConnectParams {
  username: string;
  /** Resume: replay every message with a larger seq before live ones. */
  since?: number;
  /** Comma-separated features (`changes`: receive `change` frames); unknown ones are ignored. */
  features?: string;
  /**
   * With `since`: the history epoch `since` belongs to (from the `Parley-Epoch`
   * header of the history response, or the last `resync`); another epoch gets `resync`.
   */
  epoch?: string;
}

/** Response header of the history endpoint carrying the history epoch. */
export const EPOCH_HEADER = 'parley-epoch';

/** What an `epoch` query parameter may look like (the server's are 16 hex digits). */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
