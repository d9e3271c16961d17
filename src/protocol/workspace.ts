import { type Static, Type } from '@sinclair/typebox';
import type { Room } from './rest.js';

// The workspace: one WebSocket per browser tab (`GET /ws/workspace`) carries every
// room of the sidebar, each subscribed (and resumed) on its own, plus the pushed
// room list and read positions. `/ws/chat/{room_id}` stays as it is for
// original clients.
//
// Envelope: every room-scoped frame, both ways, names its room in `room_id`
// next to `type`. Server frames are the `/ws/chat` frames (`message`, `change`,
// `join`, `leave`, `user_list`, `typing`, `error`, `room_deleted`, `resync`) with
// that one field added, plus the workspace frames below. A workspace client
// always receives `change` frames.

/** Per-room notification level (Campfire's involvement). */
export const NotifyLevel = Type.Union(
  [Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')],
  {
    description:
      'Notify on every message, on mentions only, or never (default: `all` in a direct message, `mentions` elsewhere)',
  },
);
export type NotifyLevel = Static<typeof NotifyLevel>;

/**
 * Sidebar counts stop here (the UI shows 99+ anyway): a reader in a busy room they
 * never read would otherwise cost a count of its whole history on every load.
 */
export const SIDEBAR_COUNT_CAP = 1000;

/** One room of a reader's sidebar, with the reader's position in it. */
export const SidebarRoom = Type.Object(
  {
    room: Type.Unsafe<Room>(Type.Ref('Room')),
    last_read_seq: Type.Integer({ minimum: 0, description: 'Everything up to here was read' }),
    latest_seq: Type.Integer({ minimum: 0 }),
    unread: Type.Integer({
      minimum: 0,
      maximum: SIDEBAR_COUNT_CAP,
      description: `Messages after \`last_read_seq\`, not deleted, not the reader's own, counted up to ${SIDEBAR_COUNT_CAP} (${SIDEBAR_COUNT_CAP}: at least that many)`,
    }),
    mentions: Type.Integer({
      minimum: 0,
      maximum: SIDEBAR_COUNT_CAP,
      description: `Of those, the ones that mention the reader, counted up to ${SIDEBAR_COUNT_CAP} likewise`,
    }),
    notify: NotifyLevel,
  },
  { $id: 'SidebarRoom' },
);
export type SidebarRoom = Static<typeof SidebarRoom>;

export const ReadBody = Type.Object(
  {
    seq: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'The last read seq; smaller than now marks as unread from seq + 1',
    }),
  },
  { $id: 'ReadBody' },
);
export type ReadBody = Static<typeof ReadBody>;

export const NotifyBody = Type.Object({ level: NotifyLevel }, { $id: 'NotifyBody' });
export type NotifyBody = Static<typeof NotifyBody>;

/* ---------- client to server, /ws/workspace only ---------- */

export const SubscribeFrame = Type.Object(
  {
    type: Type.Literal('subscribe'),
    room_id: Type.String(),
    since: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    epoch: Type.Optional(Type.String()),
    presence: Type.Optional(
      Type.Boolean({
        description:
          'Be present in the room (online list, join/leave, typing): the room on screen. Default false: messages and changes only',
      }),
    ),
  },
  {
    title: 'SubscribeFrame',
    description:
      'Start receiving a room (resume with `since`/`epoch` as on `/ws/chat`); answered with `subscribed`. Subscribing again changes `presence` without a replay',
  },
);
export type SubscribeFrame = Static<typeof SubscribeFrame>;

export const UnsubscribeFrame = Type.Object(
  { type: Type.Literal('unsubscribe'), room_id: Type.String() },
  { title: 'UnsubscribeFrame' },
);
export type UnsubscribeFrame = Static<typeof UnsubscribeFrame>;

export const ReadFrame = Type.Object(
  {
    type: Type.Literal('read'),
    room_id: Type.String(),
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  },
  {
    title: 'ReadFrame',
    description: "Move the reader's read position (as PUT /api/chat/me/rooms/{room_id}/read)",
  },
);
export type ReadFrame = Static<typeof ReadFrame>;

/* ---------- server to client, /ws/workspace only ---------- */

export const WorkspaceEventData = {
  /** First frame: who the socket is and the history epoch. */
  hello: Type.Object({ username: Type.String(), epoch: Type.String() }),
  /** A subscription is live: replayed entries (or a `resync`) came before, live ones follow. */
  subscribed: Type.Object({
    room_id: Type.String(),
    latest_seq: Type.Integer(),
    epoch: Type.String(),
  }),
  /** A subscription ended without being asked (`deleted`, `removed` from a private room). */
  unsubscribed: Type.Object({
    room_id: Type.String(),
    reason: Type.Union([Type.Literal('deleted'), Type.Literal('removed'), Type.Literal('asked')]),
  }),
  /** The reader joined a room (any tab or device) or was added to a private room or DM. */
  sidebar_added: SidebarRoom,
  /** The reader left the room, or lost access to it, or it was deleted. */
  sidebar_removed: Type.Object({ room_id: Type.String() }),
  /** A room this reader may see was created (for the room browser). */
  room_created: Type.Unsafe<Room>(Type.Ref('Room')),
  /** A room this reader may see was renamed (or its visibility changed). */
  room_updated: Type.Unsafe<Room>(Type.Ref('Room')),
  /** A room this reader could see was deleted. */
  room_removed: Type.Object({ room_id: Type.String() }),
  /** The reader's read position or notify level changed (from any tab or device). */
  read_state: Type.Object({
    room_id: Type.String(),
    last_read_seq: Type.Integer({ minimum: 0 }),
    notify: NotifyLevel,
  }),
  /**
   * Pushed frames may have been lost (the processes lost their bus for a while):
   * read the room list and the sidebar again over REST. Room subscriptions are
   * not affected: their messages and changes are caught up in order.
   */
  refresh: Type.Object({ reason: Type.Literal('bus_outage') }),
};

export type WorkspaceEvents = {
  [K in keyof typeof WorkspaceEventData]: Static<(typeof WorkspaceEventData)[K]>;
};
export type WorkspaceEventType = keyof WorkspaceEvents;

/** A workspace-only server frame (`hello`, `subscribed`, the room list, read state). */
export type WorkspaceFrame = {
  [K in WorkspaceEventType]: { type: K; data: WorkspaceEvents[K] };
}[WorkspaceEventType];

/** The workspace's own client frames (room-scoped `/ws/chat` frames come with `room_id` too). */
export type WorkspaceClientFrame = SubscribeFrame | UnsubscribeFrame | ReadFrame;
export type WorkspaceClientFrameType = WorkspaceClientFrame['type'];

export const WorkspaceClientFrameSchemas = {
  subscribe: SubscribeFrame,
  unsubscribe: UnsubscribeFrame,
  read: ReadFrame,
} satisfies { [K in WorkspaceClientFrameType]: unknown };

/** The `/ws/workspace` path. */
export const WORKSPACE_PATH = '/ws/workspace';
