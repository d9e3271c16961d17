// One /ws/workspace socket: its subscriptions by room, the frames only it has
// (subscribe, unsubscribe, read) and what the process pushes to it. Over 300
// lines: the subscribe flow (access, resume, presence) and its error answers.
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { ErrorCode } from '../../protocol/error-codes.js';
import { EPOCH_PATTERN } from '../../protocol/frames.js';
import { parseWorkspaceFrame } from '../../protocol/validate.js';
import type { ReadFrame, SubscribeFrame, WorkspaceFrame } from '../../protocol/workspace.js';
import { OPEN_ACTOR, type UserActor } from '../domain/actor.js';
import type { Reader } from '../domain/reader.js';
import { planResume } from '../domain/resume.js';
import { ChatError } from '../errors.js';
import { ChatConnection, type ConnectionLimits } from './connection.js';
import { encodeRoomFrame, encodeWorkspaceFrame } from './server-frames.js';
import type { WorkspaceContext } from './workspace-context.js';
import { type SubscriptionOwner, WorkspaceSubscription } from './workspace-subscription.js';

/** Who the socket is. */
export interface WorkspaceIdentity {
  username: string;
  /** Accounts mode: the account and credential (a session end closes the socket with 4003). */
  account: UserActor | null;
  reader: Reader;
  ip: string;
}

/**
 * One `/ws/workspace` socket: one connection (heartbeat, write coalescing,
 * slow-consumer limit, inbound rate limit, all as on `/ws/chat`) carrying any
 * number of room subscriptions, each resumed on its own, plus what the process
 * pushes to it (the room list, the reader's sidebar and read state).
 */
export class WorkspaceSocket implements SubscriptionOwner {
  readonly conn: ChatConnection;
  private readonly subs = new Map<string, WorkspaceSubscription>();

  constructor(
    ws: WebSocket,
    socket: Duplex,
    readonly identity: WorkspaceIdentity,
    limits: ConnectionLimits,
    private readonly ctx: WorkspaceContext,
  ) {
    // The connection is in no room: it is the socket's transport; the rooms are the subscriptions.
    this.conn = new ChatConnection(
      ws,
      '',
      identity.username,
      identity.ip,
      limits,
      {
        frame: (_conn, data, isBinary) => this.receive(data, isBinary),
        backlog: (conn, waiting) => ctx.backlog(conn, waiting),
        echoed: () => this.echoed(),
      },
      { socket, coalescer: ctx.coalescer },
    );
    this.conn.account = identity.account;
  }

  get username(): string {
    return this.identity.username;
  }

  get account(): UserActor | null {
    return this.identity.account;
  }

  /** Every room's stored messages were echoed (a rate-limit close waits for it). */
  private echoed(): boolean {
    for (const sub of this.subs.values()) if (!sub.echoed) return false;
    return true;
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  /** Pushed frames (room list, reader frames) that came before `hello`, sent right after it. */
  private early: Buffer[] | null = [];

  /** Sends `hello`, then whatever was pushed while the socket was being set up. */
  greet(hello: Buffer): void {
    this.conn.sendRaw(hello);
    const early = this.early ?? [];
    this.early = null;
    for (const frame of early) this.conn.sendRaw(frame);
  }

  /** Pushes a workspace frame (the room list, reader frames); never before `hello`. */
  push(frame: Buffer): void {
    if (this.early) this.early.push(frame);
    else this.conn.sendRaw(frame);
  }

  /** Whether this socket may hear of a room seen by `members` (null: everyone). */
  maySee(members: string[] | null): boolean {
    return members === null || (this.account !== null && members.includes(this.account.userId));
  }

  private send(frame: WorkspaceFrame): void {
    this.conn.sendRaw(encodeWorkspaceFrame(frame));
  }

  private error(code: ErrorCode, message: string, roomId?: string, clientId?: string): void {
    if (roomId === undefined) {
      this.conn.sendError(code, message, clientId);
      return;
    }
    const data =
      clientId === undefined ? { code, message } : { code, message, client_id: clientId };
    this.conn.sendRaw(encodeRoomFrame(roomId, { type: 'error', data }));
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.error(ErrorCode.INVALID_FRAME, 'Binary frames are not supported; send JSON text');
      return;
    }
    const parsed = parseWorkspaceFrame(data.toString(), this.ctx.limits);
    if (!parsed.ok) {
      this.error(parsed.code, parsed.message, parsed.roomId, parsed.clientId);
      return;
    }
    if ('roomId' in parsed) {
      const sub = this.subs.get(parsed.roomId);
      if (!sub?.live) {
        const clientId = parsed.frame.type === 'message' ? parsed.frame.client_id : undefined;
        this.error(
          ErrorCode.NOT_SUBSCRIBED,
          'Subscribe to the room first',
          parsed.roomId,
          clientId,
        );
        return;
      }
      this.ctx.handleRoomFrame(sub, parsed.frame);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'subscribe':
        this.subscribe(frame);
        return;
      case 'unsubscribe': {
        const sub = this.subs.get(frame.room_id);
        if (!sub) {
          this.error(ErrorCode.NOT_SUBSCRIBED, 'Not subscribed to this room', frame.room_id);
          return;
        }
        this.end(sub, 'asked');
        return;
      }
      case 'read':
        this.read(frame);
        return;
    }
  }

  private subscribe(frame: SubscribeFrame): void {
    const roomId = frame.room_id;
    const present = frame.presence ?? false;
    if (frame.epoch !== undefined && !EPOCH_PATTERN.test(frame.epoch)) {
      this.error(
        ErrorCode.INVALID_FRAME,
        '`epoch` must be 1 to 64 letters, digits, - or _',
        roomId,
      );
      return;
    }
    const existing = this.subs.get(roomId);
    if (existing) {
      // Subscribing again only changes presence; a pending subscription answers when it is live.
      existing.present = present;
      this.syncPresence(existing);
      if (existing.live) {
        this.subscribedFrame(existing).then(
          (encoded) => existing.sendRaw(encoded),
          (error: unknown) => this.failed(existing, error),
        );
      }
      return;
    }
    if (this.subs.size >= this.ctx.maxSubscriptions) {
      this.error(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `At most ${this.ctx.maxSubscriptions} rooms per workspace socket`,
        roomId,
      );
      return;
    }
    const sub = new WorkspaceSubscription(this, roomId, present);
    this.subs.set(roomId, sub);
    this.start(sub, frame).catch((error: unknown) => this.failed(sub, error));
  }

  /**
   * Checks the room, joins the hub, then reads the store (so nothing committed
   * meanwhile is missed: live messages are held until the replay is out), then
   * `subscribed` and live messages; presence last, as on `/ws/chat`.
   */
  private async start(sub: WorkspaceSubscription, frame: SubscribeFrame): Promise<void> {
    const { ctx } = this;
    const roomId = sub.roomId;
    if (!(await ctx.canSee(this.account, roomId))) {
      this.drop(sub);
      this.error(ErrorCode.ROOM_NOT_FOUND, 'Room not found', roomId);
      return;
    }
    if (!sub.active) return;
    sub.holdForResume();
    await ctx.hub.add(sub);
    if (!sub.active) {
      ctx.hub.remove(sub);
      return;
    }
    let plan = null;
    if (frame.since !== undefined) {
      ctx.metrics?.resumes.inc();
      const position = { since: frame.since, epoch: frame.epoch ?? null };
      plan = await planResume(ctx.store, roomId, position, ctx.replayLimit);
    }
    const subscribed = await this.subscribedFrame(sub, plan?.lastSeq);
    if (!sub.active) return;
    sub.resume(plan, subscribed, () => this.syncPresence(sub));
  }

  private async subscribedFrame(sub: WorkspaceSubscription, known?: number): Promise<Buffer> {
    const [latest, epoch] = await Promise.all([
      known === undefined ? this.ctx.store.latestSeq(sub.roomId) : known,
      this.ctx.store.epoch(),
    ]);
    return encodeWorkspaceFrame({
      type: 'subscribed',
      data: { room_id: sub.roomId, latest_seq: latest ?? 0, epoch },
    });
  }

  private failed(sub: WorkspaceSubscription, error: unknown): void {
    const live = sub.live;
    if (!live) this.drop(sub);
    if (error instanceof ChatError) {
      this.error(error.code, error.message, sub.roomId);
      return;
    }
    this.ctx.log.error({ err: error, room: sub.roomId }, 'workspace subscribe failed');
    this.error(ErrorCode.INTERNAL, 'Internal error', sub.roomId);
  }

  /**
   * Joins or leaves the room's presence to match `sub.present` (and whether the
   * subscription is still wanted), one step after another.
   */
  private syncPresence(sub: WorkspaceSubscription): void {
    const { presence, log } = this.ctx;
    sub.presenceWork = sub.presenceWork
      .then(async () => {
        const want = sub.active && sub.live && sub.present && this.conn.isOpen;
        if (want === sub.joined) return;
        sub.joined = want;
        if (!want) {
          sub.presenceFrom = Number.POSITIVE_INFINITY;
          await presence.leave(sub.roomId, this.username);
          return;
        }
        const change = await presence.join(sub.roomId, this.username, (counted) => {
          sub.presenceFrom = counted.version;
        });
        // Another tab of this user is here already: the room saw no change, this one gets the list.
        if (!change.changed) sub.send({ type: 'user_list', data: { users: change.users } });
      })
      .catch((error: unknown) => log.warn({ err: error, room: sub.roomId }, 'presence failed'));
  }

  private read(frame: ReadFrame): void {
    const sub = this.subs.get(frame.room_id);
    if (!sub?.live) {
      this.error(ErrorCode.NOT_SUBSCRIBED, 'Subscribe to the room first', frame.room_id);
      return;
    }
    const positions = this.ctx.readPositions;
    if (!positions) {
      this.error(ErrorCode.INTERNAL, 'Read positions are not available', frame.room_id);
      return;
    }
    positions
      .setRead(this.account ?? OPEN_ACTOR, this.identity.reader, frame.room_id, frame.seq)
      .catch((error: unknown) => this.failed(sub, error));
  }

  /** Forgets a subscription that never went live. */
  private drop(sub: WorkspaceSubscription): void {
    if (this.subs.get(sub.roomId) === sub) this.subs.delete(sub.roomId);
    sub.active = false;
    this.ctx.hub.remove(sub);
  }

  /** Ends a subscription and tells the client why. */
  private end(sub: WorkspaceSubscription, reason: 'asked' | 'deleted' | 'removed'): void {
    if (!sub.active) return;
    this.drop(sub);
    this.syncPresence(sub);
    this.send({ type: 'unsubscribed', data: { room_id: sub.roomId, reason } });
  }

  ended(sub: WorkspaceSubscription, reason: 'deleted' | 'removed'): void {
    this.end(sub, reason);
  }

  /** The socket closed: every subscription ends (presence left). */
  closed(): void {
    for (const sub of [...this.subs.values()]) {
      this.drop(sub);
      this.syncPresence(sub);
    }
  }
}
