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
   * Sent after a resume (`since=`) instead of a replay when the server cannot or will
   * not replay (see {@link ResyncReason}): the client should reload history over REST.
   * `latest_seq` is the room's newest seq when the resume began; live messages with
   * larger seqs follow. `epoch` is the current history epoch, for the next resume.
   */
  resync: { latest_seq: number; missed: number; epoch: string; reason: ResyncReason };
}

/**
 * Why a resume got `resync`:
 * - `replay_limit`: more than the replay limit was missed (`missed` = how many);
 * - `ahead`: `since` is beyond the room's newest seq, a position this history never
 *   reached (a restore, or a power loss that lost the last commits);
 * - `epoch`: `epoch` is not the current one: the history was replaced (a restore).
 * For the last two the client's position means nothing here, and `missed` is
 * `latest_seq`: the whole room is new to it.
 */
export type ResyncReason = 'replay_limit' | 'ahead' | 'epoch';
export type ServerEventType = keyof ServerEvents;

export type ServerFrame = {
  [K in ServerEventType]: { type: K; data: ServerEvents[K] };
}[ServerEventType];

/** Query parameters of `GET /ws/chat/{room_id}`. */
export interface ConnectParams {
  username: string;
  /** Resume: replay every message with a larger seq before live ones. */
  since?: number;
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
