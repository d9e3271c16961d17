import type { ErrorCode } from '../../protocol/error-codes.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { UserActor } from '../domain/actor.js';
import type { ResumePlan } from '../domain/resume.js';
import type { LogEntry } from '../storage/chat-store.js';
import { type ChatConnection, drainHeld, HELD_MAX } from './connection.js';
import type { RoomMember, RoomPeer } from './room-member.js';
import { type EncodedFrame, encodeRoomFrame, type RoomFrame } from './server-frames.js';

/** What a subscription needs from the workspace socket that owns it. */
export interface SubscriptionOwner {
  readonly conn: ChatConnection;
  readonly username: string;
  readonly account: UserActor | null;
  /** The room ended the subscription (deleted, or the account was removed from it). */
  ended(sub: WorkspaceSubscription, reason: 'deleted' | 'removed'): void;
}

/**
 * One room of a workspace socket: to the RoomHub a member like any `/ws/chat`
 * connection (its frames in the workspace flavour, `room_id` in the envelope),
 * with its own delivery position (`lastSeq`) so each room resumes on its own.
 * It writes through the socket's connection (one socket, one coalescer, one
 * slow-consumer limit for all its rooms).
 */
export class WorkspaceSubscription implements RoomMember, RoomPeer {
  readonly flavour = 'workspace';
  /** A workspace always speaks changes. */
  readonly changes = true;
  /** Newest seq delivered; live messages at or below it are duplicates and skipped. */
  private lastSeq = 0;
  /** Highest seq this subscription's sends stored; echoed before a rate-limit close. */
  private storedSeq = 0;
  /** Live messages held back while the resume is being sent. */
  private held: { seq: number; frame: EncodedFrame }[] | null = null;
  /** Still wanted (not unsubscribed, deleted, removed, nor the socket closed). */
  active = true;
  /** `subscribed` went out: frames for the room are accepted from the client. */
  live = false;
  /** Present in the room (the room on screen): gets join/leave, online lists and typing. */
  present: boolean;
  /** Joined in RoomPresence (follows `present` through `presenceWork`). */
  joined = false;
  /** Set when its join is counted, reset when it leaves (RoomMember.presenceFrom). */
  presenceFrom = Number.POSITIVE_INFINITY;
  /** Presence joins and leaves, one after another, so each join is paired with one leave. */
  presenceWork: Promise<void> = Promise.resolve();

  constructor(
    private readonly owner: SubscriptionOwner,
    readonly roomId: string,
    present: boolean,
  ) {
    this.present = present;
  }

  get username(): string {
    return this.owner.username;
  }

  get account(): UserActor | null {
    return this.owner.account;
  }

  get isOpen(): boolean {
    return this.active && this.owner.conn.isOpen;
  }

  sendRaw(frame: EncodedFrame): void {
    if (this.active) this.owner.conn.sendRaw(frame);
  }

  send(frame: ServerFrame): void {
    this.sendRaw(encodeRoomFrame(this.roomId, frame));
  }

  sendError(code: ErrorCode, message: string, clientId?: string): void {
    this.send({
      type: 'error',
      data: clientId === undefined ? { code, message } : { code, message, client_id: clientId },
    });
  }

  /** In the socket's frame order (across its rooms, which is stricter than per room). */
  inOrder(task: () => Promise<void>): void {
    this.owner.conn.inOrder(task);
  }

  get changesPending(): boolean {
    return this.owner.conn.changesPending;
  }

  afterChanges<T>(send: () => Promise<T>): Promise<T> {
    return this.owner.conn.afterChanges(send);
  }

  sendStarted(): void {
    this.owner.conn.sendStarted();
  }

  /** Settles on the socket; the stored seq is this room's, its echo is awaited here. */
  sendSettled(seq: number): void {
    if (seq > this.storedSeq) this.storedSeq = seq;
    this.owner.conn.sendSettled(0);
  }

  /** Every message this subscription stored has been echoed to it (see ChatConnection). */
  get echoed(): boolean {
    return this.lastSeq >= this.storedSeq;
  }

  deliverMessage(seq: number, frame: EncodedFrame): boolean {
    if (!this.active) return false;
    if (this.held) {
      // Not keeping up with the room while its resume goes out: as a slow consumer.
      if (this.held.push({ seq, frame }) > HELD_MAX) this.owner.conn.slowConsumer();
      return false;
    }
    if (!this.advance(seq)) return false;
    this.owner.conn.sendRaw(frame);
    this.owner.conn.echoProgress();
    return true;
  }

  /** Moves the delivery position to `seq`; false when it was delivered already. */
  private advance(seq: number): boolean {
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }

  /** Holds live messages until `resume`; called before the store is read. */
  holdForResume(): void {
    this.held = [];
  }

  /**
   * Sends the replay (or `resync`) at the client's pace (ChatConnection.pace),
   * then `subscribed`, then the live messages held meanwhile that come after the
   * replay, each once; then `onLive`.
   */
  resume(plan: ResumePlan<LogEntry> | null, subscribed: EncodedFrame, onLive: () => void): void {
    this.owner.conn.pace(
      this.resumeFrames(plan, subscribed),
      () => this.isOpen,
      () => {
        this.held = null;
        this.owner.conn.echoProgress();
        onLive();
      },
    );
  }

  private *resumeFrames(
    plan: ResumePlan<LogEntry> | null,
    subscribed: EncodedFrame,
  ): Generator<EncodedFrame> {
    if (plan?.kind === 'replay') {
      for (const entry of plan.entries) {
        yield entry.kind === 'message'
          ? encodeRoomFrame(this.roomId, { type: 'message', data: entry.message })
          : encodeRoomFrame(this.roomId, { type: 'change', data: entry.change });
      }
    } else if (plan) {
      yield encodeRoomFrame(this.roomId, { type: 'resync', data: plan.resync });
    }
    this.lastSeq = plan?.lastSeq ?? 0;
    yield subscribed;
    this.live = true;
    yield* drainHeld(this.held ?? [], (seq) => this.advance(seq));
  }

  roomDeleted(notice: RoomFrame): void {
    this.sendRaw(notice.for('workspace'));
    this.owner.ended(this, 'deleted');
  }

  removedFromRoom(): void {
    this.owner.ended(this, 'removed');
  }
}
