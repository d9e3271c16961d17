import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../../protocol/error-codes.js';
import { EPOCH_PATTERN } from '../../protocol/frames.js';
import { nameProblem, normalizeName } from '../../protocol/text-rules.js';
import { ACCOUNTS_TOPIC, type BusEvent } from '../bus/bus-events.js';
import type { MessageBus, Unsubscribe } from '../bus/message-bus.js';
import type { Config } from '../config.js';
import type { AccountService } from '../domain/accounts.js';
import { type Actor, OPEN_ACTOR, type UserActor } from '../domain/actor.js';
import type { MessageService } from '../domain/message-service.js';
import { planResume } from '../domain/resume.js';
import type { RoomAccess } from '../domain/room-access.js';
import type { RoomPresence } from '../domain/room-presence.js';
import { resolveIdentity } from '../http/identity.js';
import type { Metrics } from '../metrics.js';
import type { ChatStore } from '../storage/chat-store.js';
import type { Logger } from '../util/logger.js';
import { decodePathSegment, parseRequestTarget } from '../util/safe-parse.js';
import { ChatConnection } from './connection.js';
import { createDispatcher, type FrameHandler } from './dispatch.js';
import { originAllowed } from './origin.js';
import type { RoomHub } from './room-hub.js';
import { userListFrame } from './server-frames.js';
import { WriteCoalescer } from './write-coalescer.js';

export interface GatewayDeps {
  config: Config;
  store: ChatStore;
  presence: RoomPresence;
  messages: MessageService;
  hub: RoomHub;
  log: Logger;
  metrics?: Metrics;
  /** Accounts mode: who connects (from the upgrade's cookie or Bearer token) and where they may go. */
  auth?: { accounts: AccountService; access: RoomAccess; bus: MessageBus };
}

const PATH = /^\/ws\/chat\/([^/]+)\/?$/;
const SHUTDOWN_GRACE_MS = 3_000;
/** How often an open socket's session is re-checked in the store (and kept alive), at most. */
const CREDENTIAL_CHECK_MS = 60_000;

/** The peer's address, or the first X-Forwarded-For hop behind a trusted proxy. */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
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
  private readonly coalescer = new WriteCoalescer();
  private readonly heartbeat: NodeJS.Timeout;
  private accepting = true;
  private readonly unsubscribeAccounts: Unsubscribe = () => {};
  /** When each credential of an open socket was last confirmed in the store. */
  private readonly credentialChecked = new Map<string, number>();

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
      presence: deps.presence,
      limits: config.limits,
      log: deps.log,
      metrics: deps.metrics,
    });
    this.heartbeat = setInterval(() => this.checkHeartbeats(), config.ws.heartbeatMs);
    this.heartbeat.unref();
    if (deps.auth) {
      // Revocations from any process: the sockets opened with them close at once.
      this.unsubscribeAccounts = deps.auth.bus.subscribe(ACCOUNTS_TOPIC, (event) =>
        this.onAccountEvent(event),
      );
    }
  }

  private onAccountEvent(event: BusEvent): void {
    if (event.type !== 'credentials_revoked') return;
    const ids = event.credentialIds ? new Set(event.credentialIds) : null;
    for (const conn of this.deps.hub.connections()) {
      const account = conn.account;
      if (account?.userId !== event.userId) continue;
      if (ids && !ids.has(account.credentialId)) continue;
      conn.close(CloseCode.SESSION_ENDED, 'Session ended');
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
    socket.on('error', () => socket.destroy());
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
    if (!match) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (roomId === null) {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
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
      this.accept(req, socket, head, roomId, url.searchParams, OPEN_ACTOR);
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
        this.accept(req, socket, head, roomId, url.searchParams, actor);
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
    roomId: string,
    params: URLSearchParams,
    actor: Actor,
  ): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.onOpen(ws, socket, req, roomId, params, actor).catch((error: unknown) => {
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
    this.sockets.add(ws);
    const ipCount = (this.perIp.get(ip) ?? 0) + 1;
    this.perIp.set(ip, ipCount);
    let conn: ChatConnection | undefined;
    let joined = false;
    ws.on('error', (error) => log.debug({ err: error }, 'websocket error'));
    ws.on('close', () => {
      this.sockets.delete(ws);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
      if (conn) hub.remove(conn);
      if (conn?.closeCode === CloseCode.SLOW_CONSUMER) this.deps.metrics?.slowConsumers.inc();
      if (conn && joined) void this.deps.presence.leave(conn.roomId, conn.username);
    });

    const limit = config.ws.maxConnectionsPerIp;
    if (limit > 0 && ipCount > limit) {
      refuse(ws, CloseCode.TOO_MANY_CONNECTIONS, 'Too many connections from this address');
      return;
    }
    // Trimmed and NFC from here on: "alice " and a decomposed "alice" are "alice".
    // With accounts, the account's name and nothing else (`username=` is ignored).
    const rawUsername = actor.kind === 'user' ? actor.username : params.get('username');
    const username = rawUsername === null ? null : normalizeName(rawUsername);
    const problem =
      username === null ? 'missing' : nameProblem(username, config.limits.maxUsernameLength);
    if (username === null || problem) {
      refuse(ws, CloseCode.INVALID_USERNAME, `Invalid username: ${problem}`);
      return;
    }
    const sinceRaw = params.get('since');
    if (sinceRaw !== null && !/^\d{1,15}$/.test(sinceRaw)) {
      refuse(ws, CloseCode.INVALID_REQUEST, '`since` must be a non-negative integer');
      return;
    }
    const epoch = params.get('epoch');
    if (epoch !== null && !EPOCH_PATTERN.test(epoch)) {
      refuse(ws, CloseCode.INVALID_REQUEST, '`epoch` must be 1 to 64 letters, digits, - or _');
      return;
    }
    // A private room the account is not in is as unknown as a room that does not exist.
    const visible = this.deps.auth
      ? await this.deps.auth.access.canSee(actor, roomId)
      : await store.getRoom(roomId);
    if (!visible) {
      refuse(ws, CloseCode.ROOM_NOT_FOUND, 'Room not found');
      return;
    }
    if (ws.readyState !== ws.OPEN) return;

    const c = new ChatConnection(
      ws,
      roomId,
      username,
      ip,
      {
        slowConsumerBytes: config.ws.slowConsumerBytes,
        ratePerSec: config.ws.ratePerSec,
        rateBurst: config.ws.rateBurst,
        throttleMaxMs: config.ws.throttleMaxMs,
      },
      {
        frame: this.handleFrame,
        backlog: (connection, waiting) => {
          if (waiting) this.backlogged.add(connection);
          else this.backlogged.delete(connection);
        },
      },
      { socket, coalescer: this.coalescer },
    );
    conn = c;
    if (actor.kind === 'user') c.account = actor;
    // Registered, and subscribed on the bus, before reading the store, so nothing
    // committed meanwhile is missed; live messages are held until the resume is out.
    if (sinceRaw !== null) c.holdForResume();
    await hub.add(c);
    if (sinceRaw !== null) {
      this.deps.metrics?.resumes.inc();
      const position = { since: Number(sinceRaw), epoch };
      c.resume(await planResume(store, roomId, position, config.limits.replayLimit));
    }
    if (!c.isOpen) return;

    const change = await presence.join(roomId, username);
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

  /** Pings every connection; those that did not answer the previous ping are dropped. */
  private checkHeartbeats(): void {
    for (const conn of this.deps.hub.connections()) {
      if (!conn.heartbeat()) {
        this.deps.log.info({ room: conn.roomId, username: conn.username }, 'heartbeat timeout');
      }
    }
    if (this.deps.auth) void this.checkCredentials(this.deps.auth.accounts);
  }

  /**
   * Open sockets keep their session alive, and a credential that ended without
   * its bus event reaching this process (a Redis outage) is caught here: each one
   * is confirmed in the store at most once a minute, and its sockets close with 4003
   * when it is gone.
   */
  private async checkCredentials(accounts: AccountService): Promise<void> {
    const now = Date.now();
    const due = new Map<string, UserActor>();
    const live = new Set<string>();
    for (const conn of this.deps.hub.connections()) {
      const account = conn.account;
      if (!account) continue;
      live.add(account.credentialId);
      const last = this.credentialChecked.get(account.credentialId) ?? 0;
      if (now - last >= CREDENTIAL_CHECK_MS) due.set(account.credentialId, account);
    }
    for (const id of this.credentialChecked.keys()) {
      if (!live.has(id)) this.credentialChecked.delete(id);
    }
    for (const account of due.values()) {
      this.credentialChecked.set(account.credentialId, now);
      let valid: boolean;
      try {
        valid = await accounts.stillValid(account);
      } catch {
        continue; // the store is down: nothing is known, nobody is cut off
      }
      if (!valid) {
        this.onAccountEvent({
          type: 'credentials_revoked',
          roomId: ACCOUNTS_TOPIC,
          userId: account.userId,
          credentialIds: [account.credentialId],
        });
      }
    }
  }

  /**
   * Refuses new upgrades, stops reading, stores every frame already read (those
   * waiting for the rate limit too) and waits for their echoes, then closes every
   * socket with 1001 and waits for them to go.
   */
  async close(): Promise<void> {
    this.accepting = false;
    clearInterval(this.heartbeat);
    this.unsubscribeAccounts();
    for (const conn of [...this.deps.hub.connections(), ...this.backlogged]) conn.stopReading();
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
    this.wss.close();
  }
}
