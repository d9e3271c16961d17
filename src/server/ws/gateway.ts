// The WebSocket endpoint: upgrade checks (path, origin, identity), wiring a socket
// to its connection, the room hub and the domain, heartbeats and shutdown. The rules
// live elsewhere (join-params.ts, domain/resume.ts, domain/room-presence.ts).
// Over 300 lines: two endpoints (/ws/chat and /ws/workspace) share the upgrade
// checks, limits and shutdown here; what each socket does is in its own file.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/error-codes.js';
import type { MessageBus } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import type { AccountService } from '../domain/accounts.js';
import { type Actor, OPEN_ACTOR } from '../domain/actor.js';
import type { ChangeService } from '../domain/change-service.js';
import { resolveIdentity } from '../domain/credentials.js';
import type { MessageService } from '../domain/message-service.js';
import { readerOf } from '../domain/reader.js';
import { planResume } from '../domain/resume.js';
import type { RoomAccess } from '../domain/room-access.js';
import type { RoomPresence } from '../domain/room-presence.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import { decodePathSegment, parseRequestTarget } from '../util/safe-parse.js';
import { AccountSockets } from './account-sockets.js';
import { ChatConnection, type ConnectionHooks, type ConnectionLimits } from './connection.js';
import { createDispatcher, createRoomFrameHandler, type FrameHandler } from './dispatch.js';
import { parseJoinParams } from './join-params.js';
import { originAllowed } from './origin.js';
import type { RoomHub } from './room-hub.js';
import { userListFrame } from './server-frames.js';
import { Workspace } from './workspace.js';
import type { ReadPositions } from './workspace-context.js';
import { WriteCoalescer } from './write-coalescer.js';

export interface GatewayDeps {
  config: Config;
  store: ChatStore;
  presence: RoomPresence;
  messages: MessageService;
  changes: ChangeService;
  hub: RoomHub;
  log: Logger;
  metrics?: Metrics;
  /** Carries the room list and reader frames to workspace sockets. */
  bus: MessageBus;
  /** Where workspace `read` frames go (absent: they are refused). */
  readPositions?: ReadPositions;
  /** Accounts mode: who connects (from the upgrade's cookie or Bearer token) and where they may go. */
  auth?: { accounts: AccountService; access: RoomAccess; bus: MessageBus };
}

const PATH = /^\/ws\/chat\/([^/]+)\/?$/;
const WORKSPACE = /^\/ws\/workspace\/?$/;

/** Where an upgrade goes: one room, or the workspace (every room of the sidebar). */
type Target = { roomId: string } | { workspace: true };
const SHUTDOWN_GRACE_MS = 3_000;
/**
 * Connections pinged per event-loop turn. Pinging 10,000 sockets in one loop
 * held every room up for its length, and the pongs came back together: Parley's
 * slowest 1% of deliveries in a room of 1,000 took 0.4 to 0.5 s in the round
 * whose messages met the 30 s heartbeat (bench/scale.ts, held connections).
 */
const HEARTBEAT_SLICE = 500;

/** The peer's address, or the first X-Forwarded-For hop behind a trusted proxy. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/** An upgrading socket's error listener: one function for all, not a closure each. */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Closes a socket that has not joined yet (it is paused, and the close handshake needs reading). */
function refuse(ws: WebSocket, code: number, reason: string): void {
  ws.resume();
  ws.close(code, reason);
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * The WebSocket endpoint `/ws/chat/{room_id}`: upgrade checks, joining a room
 * (with resume), presence, heartbeats and shutdown.
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly perIp = new Map<string, number>();
  /** Connections with inbound frames waiting for the rate limit (possibly closed already). */
  private readonly backlogged = new Set<ChatConnection>();
  private readonly handleFrame: FrameHandler;
  /** Shared by every `/ws/chat` connection: built once, not per socket (memory per connection). */
  private readonly roomHooks: ConnectionHooks;
  private readonly limits: ConnectionLimits;
  private readonly coalescer = new WriteCoalescer();
  /** One handler for every socket (memory per connection). */
  private readonly onSocketError = (error: Error) =>
    this.deps.log.debug({ err: error }, 'websocket error');
  private readonly heartbeat: NodeJS.Timeout;
  private accepting = true;
  /** Accounts mode: closes the sockets of credentials that ended. */
  private readonly accountSockets: AccountSockets | null = null;
  /** The `/ws/workspace` sockets. */
  private readonly workspace: Workspace;

  constructor(private readonly deps: GatewayDeps) {
    const { config } = deps;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: config.limits.maxFrameBytes,
      perMessageDeflate: false,
    });
    this.handleFrame = createDispatcher({
      messages: deps.messages,
      changes: deps.changes,
      presence: deps.presence,
      limits: config.limits,
      log: deps.log,
      metrics: deps.metrics,
    });
    const backlog = (connection: ChatConnection, waiting: boolean) =>
      this.backlogChanged(connection, waiting);
    this.roomHooks = { frame: this.handleFrame, backlog };
    this.limits = this.connectionLimits();
    const access = deps.auth?.access;
    this.workspace = new Workspace(
      {
        store: deps.store,
        hub: deps.hub,
        presence: deps.presence,
        handleRoomFrame: createRoomFrameHandler({
          messages: deps.messages,
          changes: deps.changes,
          presence: deps.presence,
          limits: config.limits,
          log: deps.log,
          metrics: deps.metrics,
        }),
        canSee: async (account, roomId) =>
          (access && account
            ? await access.canSee(account, roomId)
            : await deps.store.getRoom(roomId)) !== null,
        readPositions: deps.readPositions ?? null,
        limits: config.limits,
        maxSubscriptions: config.ws.maxSubscriptions,
        replayLimit: config.limits.replayLimit,
        coalescer: this.coalescer,
        backlog,
        log: deps.log,
        metrics: deps.metrics,
      },
      deps.bus,
      deps.store,
      this.limits,
    );
    this.heartbeat = setInterval(() => this.checkHeartbeats(), config.ws.heartbeatMs);
    this.heartbeat.unref();
    if (deps.auth) {
      this.accountSockets = new AccountSockets(deps.auth.accounts, deps.auth.bus, () =>
        this.allConnections(),
      );
    }
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  openSockets(): number {
    return this.sockets.size;
  }

  /** Client addresses with open sockets (for leak checks). */
  trackedAddresses(): number {
    return this.perIp.size;
  }

  /** Inbound frames waiting for the rate limit, over all connections (for memory checks). */
  queuedFrames(): number {
    let n = 0;
    for (const conn of this.backlogged) n += conn.queuedFrames;
    return n;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroySocket);
    // An exception thrown from an 'upgrade' listener ends the process; whatever
    // slips past the total parsers below becomes a 400 for this request only.
    try {
      this.upgrade(req, socket, head);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'websocket upgrade failed');
      if (!socket.destroyed) rejectUpgrade(socket, 400, 'Bad Request');
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = parseRequestTarget(req.url);
    if (!url) {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const match = PATH.exec(url.pathname);
    const roomId = match ? decodePathSegment(match[1] as string) : null;
    const workspace = WORKSPACE.test(url.pathname);
    if (!match && !workspace) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (match && roomId === null) {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const target: Target = roomId === null ? { workspace: true } : { roomId };
    if (!this.accepting) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (!originAllowed(req, this.deps.config.ws.allowedOrigins)) {
      this.deps.log.info({ origin: req.headers.origin }, 'websocket origin rejected');
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const auth = this.deps.auth;
    if (!auth) {
      this.accept(req, socket, head, target, url.searchParams, OPEN_ACTOR);
      return;
    }
    // Accounts mode: no identity, no upgrade (HTTP 401 before any WebSocket exists).
    resolveIdentity(auth.accounts, req.headers).then(
      (actor) => {
        if (socket.destroyed) return;
        if (!actor) {
          rejectUpgrade(socket, 401, 'Unauthorized');
          return;
        }
        if (!this.accepting) {
          rejectUpgrade(socket, 503, 'Service Unavailable');
          return;
        }
        this.accept(req, socket, head, target, url.searchParams, actor);
      },
      (error: unknown) => {
        this.deps.log.warn({ err: error }, 'websocket identity lookup failed');
        if (!socket.destroyed) rejectUpgrade(socket, 503, 'Service Unavailable');
      },
    );
  }

  private accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: Target,
    params: URLSearchParams,
    actor: Actor,
  ): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const opened =
        'roomId' in target
          ? this.onOpen(ws, socket, req, target.roomId, params, actor)
          : this.onOpenWorkspace(ws, socket, req, params, actor);
      opened.catch((error: unknown) => {
        this.deps.log.error({ err: error }, 'websocket setup failed');
        refuse(ws, CloseCode.INTERNAL_ERROR, 'Internal error');
      });
    });
  }

  private async onOpen(
    ws: WebSocket,
    socket: Duplex,
    req: IncomingMessage,
    roomId: string,
    params: URLSearchParams,
    actor: Actor,
  ): Promise<void> {
    const { config, store, hub, presence, log } = this.deps;
    const ip = clientAddress(req, config.http.trustProxy);
    // Nothing is read until the connection has joined its room.
    ws.pause();
    let conn: ChatConnection | undefined;
    let joined = false;
    ws.on('close', () => {
      if (conn) hub.remove(conn);
      if (conn?.closeCode === CloseCode.SLOW_CONSUMER) this.deps.metrics?.slowConsumers.inc();
      if (conn && joined) void this.deps.presence.leave(conn.roomId, conn.username);
    });
    if (!this.track(ws, ip)) return;
    const join = parseJoinParams(params, actor, config.limits.maxUsernameLength);
    if (!join.ok) {
      refuse(ws, join.code, join.reason);
      return;
    }
    const { username, resume, changes } = join;
    // A private room the account is not in is as unknown as a room that does not exist.
    const visible = this.deps.auth
      ? await this.deps.auth.access.canSee(actor, roomId)
      : await store.getRoom(roomId);
    if (!visible) {
      refuse(ws, CloseCode.ROOM_NOT_FOUND, 'Room not found');
      return;
    }
    if (ws.readyState !== ws.OPEN) return;

    const c = new ChatConnection(ws, roomId, username, ip, this.limits, this.roomHooks, {
      socket,
      coalescer: this.coalescer,
    });
    conn = c;
    c.changes = changes;
    if (actor.kind === 'user') c.account = actor;
    // Registered, and subscribed on the bus, before reading the store, so nothing
    // committed meanwhile is missed; live messages are held until the resume is out.
    if (resume) c.holdForResume();
    await hub.add(c);
    if (resume) {
      this.deps.metrics?.resumes.inc();
      c.resume(await planResume(store, roomId, resume, config.limits.replayLimit));
    }
    if (!c.isOpen) return;

    const change = await presence.join(roomId, username, (counted) => {
      c.presenceFrom = counted.version;
    });
    joined = true;
    if (ws.readyState !== ws.OPEN) {
      // Closed while joining: the close handler ran before `joined` was set.
      await presence.leave(roomId, username);
      return;
    }
    // Another tab of a user already here: the room sees no change, this tab gets the list.
    if (!change.changed) c.sendRaw(userListFrame(change.users));
    ws.resume();
    log.debug({ room: roomId, username }, 'joined');
  }

  /**
   * A workspace socket (`/ws/workspace`): the same checks as a room connection
   * (address limit, username), then the workspace takes it.
   */
  private async onOpenWorkspace(
    ws: WebSocket,
    socket: Duplex,
    req: IncomingMessage,
    params: URLSearchParams,
    actor: Actor,
  ): Promise<void> {
    const { config } = this.deps;
    const ip = clientAddress(req, config.http.trustProxy);
    ws.pause();
    if (!this.track(ws, ip)) return;
    const join = parseJoinParams(params, actor, config.limits.maxUsernameLength);
    if (!join.ok) {
      refuse(ws, join.code, join.reason);
      return;
    }
    const account = actor.kind === 'user' ? actor : null;
    await this.workspace.open(ws, socket, {
      username: join.username,
      account,
      reader: readerOf(actor, join.username),
      ip,
    });
  }

  /**
   * Counts an open socket against its address (until it closes); false, and the
   * socket refused, when the address has too many.
   */
  private track(ws: WebSocket, ip: string): boolean {
    this.sockets.add(ws);
    const ipCount = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, ipCount);
    ws.on('error', this.onSocketError);
    ws.on('close', () => {
      this.sockets.delete(ws);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    });
    const limit = this.deps.config.ws.maxConnectionsPerIp;
    if (limit > 0 && ipCount > limit) {
      refuse(ws, CloseCode.TOO_MANY_CONNECTIONS, 'Too many connections from this address');
      return false;
    }
    return true;
  }

  private connectionLimits(): ConnectionLimits {
    const { ws } = this.deps.config;
    return {
      slowConsumerBytes: ws.slowConsumerBytes,
      ratePerSec: ws.ratePerSec,
      rateBurst: ws.rateBurst,
      throttleMaxMs: ws.throttleMaxMs,
    };
  }

  private backlogChanged(connection: ChatConnection, waiting: boolean): void {
    if (waiting) this.backlogged.add(connection);
    else this.backlogged.delete(connection);
  }

  /** Every open connection: `/ws/chat` ones and workspace sockets. */
  private *allConnections(): Iterable<ChatConnection> {
    yield* this.deps.hub.connections();
    yield* this.workspace.connections();
  }

  /** Pings every connection; those that did not answer the previous ping are dropped. */
  /** Pings every connection (cutting off those that missed the last pong), a slice per turn. */
  private checkHeartbeats(): void {
    const conns = [...this.allConnections()];
    const slice = (from: number) => {
      const end = Math.min(from + HEARTBEAT_SLICE, conns.length);
      for (let i = from; i < end; i++) {
        const conn = conns[i] as ChatConnection;
        if (!conn.isOpen) continue;
        if (!conn.heartbeat()) {
          this.deps.log.info({ room: conn.roomId, username: conn.username }, 'heartbeat timeout');
        }
      }
      if (end < conns.length && this.accepting) setImmediate(slice, end);
    };
    slice(0);
    void this.accountSockets?.check();
  }

  /**
   * Refuses new upgrades, stops reading, stores every frame already read (those
   * waiting for the rate limit too) and waits for their echoes, then closes every
   * socket with 1001 and waits for them to go.
   */
  async close(): Promise<void> {
    this.accepting = false;
    clearInterval(this.heartbeat);
    this.accountSockets?.close();
    for (const conn of [...this.allConnections(), ...this.backlogged]) conn.stopReading();
    await this.deps.messages.drain();
    const closed = [...this.sockets].map(
      (ws) =>
        new Promise<void>((resolve) => {
          const cutOff = setTimeout(() => ws.terminate(), SHUTDOWN_GRACE_MS).unref();
          ws.once('close', () => {
            clearTimeout(cutOff);
            resolve();
          });
          ws.resume();
          ws.close(CloseCode.GOING_AWAY, 'Server shutting down');
        }),
    );
    await Promise.all(closed);
    this.workspace.close();
    this.wss.close();
  }
}
