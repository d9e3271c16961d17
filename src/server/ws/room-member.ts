import type { ErrorCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { UserActor } from '../domain/actor.js';
import type { EncodedFrame, FrameFlavour, RoomFrame } from './server-frames.js';

/**
 * One user's presence in one room, as the dispatcher sees it: a `/ws/chat`
 * connection, or one room subscription of a workspace socket. Frames sent
 * through it are encoded in its flavour.
 */
export interface RoomPeer {
  readonly roomId: string;
  readonly username: string;
  /** Accounts mode: who acts (edits and deletes are checked against it). */
  readonly account: UserActor | null;
  /** Gets `change` frames (a retried change is answered only then). */
  readonly changes: boolean;
  readonly isOpen: boolean;
  /** Sends one frame (a rare one: answers and errors; broadcasts go through the hub). */
  send(frame: ServerFrame): void;
  sendError(code: ErrorCode, message: string, clientId?: string): void;
  /** Runs `task` (which must not reject) after the peer's earlier changes: changes apply in frame order. */
  inOrder(task: () => Promise<void>): void;
  /** Some change (or a message behind one) of this peer has not joined the log yet. */
  readonly changesPending: boolean;
  /** Starts `send` once the peer's earlier changes have joined the log (a message never overtakes them). */
  afterChanges<T>(send: () => Promise<T>): Promise<T>;
  /** A `message` frame was handed to the MessageService. */
  sendStarted(): void;
  /** That send settled; `seq` is the stored message's if it was new (0 otherwise). */
  sendSettled(seq: number): void;
}

/** What the RoomHub fans a room's events out to. */
export interface RoomMember {
  readonly roomId: string;
  readonly username: string;
  /** Accounts mode: the account (removal from a private room is by account). */
  readonly account: UserActor | null;
  readonly flavour: FrameFlavour;
  /** Gets who is here: `join`/`leave`, online lists and typing. */
  readonly present: boolean;
  /**
   * The version of the online list its own join made (Infinity until then): it
   * gets the lists and notices from that one on, never one from before it came.
   */
  readonly presenceFrom: number;
  /** Gets `change` frames (`features=changes` on /ws/chat; always on a workspace). */
  readonly changes: boolean;
  /** Delivers a live message in seq order, exactly once; false when it was skipped. */
  deliverMessage(seq: number, frame: EncodedFrame): boolean;
  sendRaw(frame: EncodedFrame): void;
  /** The room was deleted: `notice` is its `room_deleted` frame. */
  roomDeleted(notice: RoomFrame): void;
  /** Accounts mode: the member's account was removed from this private room. */
  removedFromRoom(): void;
}
