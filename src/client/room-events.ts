// What a room session tells its views. The parts of the session (history, the
// outgoing messages, notices) each emit their own events through one emitter, so
// the order views see them in is the order things happened. Events say what
// happened; wording for screen readers is the UI's (ui/room-announcements.ts).
import type { MessageChange } from '../protocol/changes.js';
import type { ConnectionState } from './chat-client.js';

export type NoticeKind = 'join' | 'leave' | 'info';

/** A line in the timeline that is not a message (join, leave, connection news). */
export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  /** Who joined or left (several when collapsed into one line). */
  names?: readonly string[];
  /** Shown after the message with this seq (0: before all). */
  afterSeq: number;
  at: Date;
}

export type HistoryState =
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; message: string }
  | { kind: 'not_found' };

/** What changed in the timeline, so the view can decide about scrolling. */
export type TimelineChange =
  | { reason: 'history' }
  | { reason: 'older' }
  | { reason: 'live'; own: boolean }
  | { reason: 'pending'; own: boolean }
  /** A message was edited, deleted or reacted to (confirmed, or ours still pending). */
  | { reason: 'change' }
  | { reason: 'notice' };

/**
 * News about the connection worth telling the person: it was lost (and is being
 * re-established), it is back, or the quick attempts ran out (said once, not after
 * every slow attempt).
 */
export type ConnectionNews = 'lost' | 'back' | 'gave_up';

/** The server refused one of our messages (an error frame naming it). */
export interface SendFailure {
  clientId: string;
  /** The server's error code. */
  code: string;
  /** Why, for the person; also the failed outbox item's `error`. */
  reason: string;
}

export interface RoomSessionEvents {
  timeline: TimelineChange;
  /** Every change of the room's log as it arrives, whether or not the live timeline holds its message. */
  change: MessageChange;
  users: readonly string[];
  typing: readonly string[];
  state: ConnectionState;
  history: HistoryState;
  older: { loading: boolean; hasOlder: boolean };
  /** A problem worth a short notice (not tied to one of our messages). */
  problem: string;
  deleted: { message: string };
  /** A notice (join, leave) was added to the timeline. */
  notice: Notice;
  sendFailed: SendFailure;
  connection: ConnectionNews;
}

/** How the parts of a session emit (the session's emitter, bound). */
export type EmitRoomEvent = <K extends keyof RoomSessionEvents>(
  event: K,
  data: RoomSessionEvents[K],
) => void;
