import { type Static, Type } from '@sinclair/typebox';
import type { ErrorCode } from './error-codes.js';
import type { Message } from './rest.js';

/* ---------- client to server ---------- */

export const MessageFrame = Type.Object({
  type: Type.Literal('message'),
  content: Type.String(),
  client_id: Type.Optional(Type.String({ minLength: 1 })),
});
export type MessageFrame = Static<typeof MessageFrame>;

export const TypingFrame = Type.Object({
  type: Type.Literal('typing'),
  is_typing: Type.Boolean(),
});
export type TypingFrame = Static<typeof TypingFrame>;

export const GetUsersFrame = Type.Object({ type: Type.Literal('get_users') });
export type GetUsersFrame = Static<typeof GetUsersFrame>;

export type ClientFrame = MessageFrame | TypingFrame | GetUsersFrame;
export type ClientFrameType = ClientFrame['type'];

/* ---------- server to client ---------- */

export interface PresenceNotice {
  username: string;
  message: string;
}

export interface ServerEvents {
  message: Message;
  join: PresenceNotice;
  leave: PresenceNotice;
  user_list: { users: string[] };
  typing: { username: string; is_typing: boolean };
  /** `client_id` names the message frame that failed, when it carried one. */
  error: { code: ErrorCode; message: string; client_id?: string };
  /** The room was deleted; the server closes with CloseCode.ROOM_DELETED next. */
  room_deleted: { room_id: string; message: string };
  /**
   * Sent after a resume (`since=`) when more messages were missed than the server
   * replays: the client should reload history over REST. `latest_seq` is the room's
   * newest seq when the resume began; live messages follow.
   */
  resync: { latest_seq: number; missed: number };
}
export type ServerEventType = keyof ServerEvents;

export type ServerFrame = {
  [K in ServerEventType]: { type: K; data: ServerEvents[K] };
}[ServerEventType];

/** Query parameters of `GET /ws/chat/{room_id}`. */
export interface ConnectParams {
  username: string;
  /** Resume: replay every message with a larger seq before live ones. */
  since?: number;
}
